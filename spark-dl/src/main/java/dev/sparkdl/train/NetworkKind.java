package dev.sparkdl.train;

/** The two DL4J network families spark-dl trains. */
public enum NetworkKind {
    MULTI_LAYER,
    COMPUTATION_GRAPH
}
