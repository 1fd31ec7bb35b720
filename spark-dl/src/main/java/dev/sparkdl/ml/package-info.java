/**
 * The Spark ML face of spark-dl: {@link dev.sparkdl.ml.DL4JClassifier} and {@link
 * dev.sparkdl.ml.DL4JRegressor} estimators, the models they produce, their params and ML
 * persistence. These behave like any MLlib stage inside a Pipeline or CrossValidator.
 */
package dev.sparkdl.ml;
