package dev.sparkdl.collective;

/**
 * Where the ranks of one collective meet to swap their endpoints. spark-dl implements it with
 * {@code BarrierTaskContext.allGather}; tests use {@link InMemoryRendezvous} or a file-based helper.
 */
@FunctionalInterface
public interface Rendezvous
{
    /**
     * Block until every rank has called, then return what each rank passed.
     *
     * @param localInfo this rank's string (printable ASCII, under 1 KiB).
     * @return every rank's string, indexed by rank.
     * @throws CollectiveException (or the implementation's own exception) on timeout or interrupt.
     */
    String[] allGather(String localInfo);
}
