package dev.sparkdl.transport;

/** How a rank's link reaches a peer, cheapest first; the labels appear in logs and benchmark tables. */
public enum LinkMedium
{
    /** IPC on the driver both share: the peer runs in this JVM. */
    IPC_IN_JVM("ipc"),
    /** IPC on the peer's own driver: the peer runs in another JVM on this host ({@link CoLocatedDrivers}). */
    IPC_ON_HOST("ipc across JVMs"),
    /** UDP to the peer's endpoint: another host, or a peer that takes no IPC. */
    UDP("udp");

    private final String label;

    LinkMedium(final String label)
    {
        this.label = label;
    }

    /**
     * @param inThisJvm  whether the peer shares this rank's driver.
     * @param peerDriver a lease on the peer's own driver, or null.
     * @return the medium that follows.
     */
    public static LinkMedium of(final boolean inThisJvm, final CoLocatedDrivers.Lease peerDriver)
    {
        return inThisJvm ? IPC_IN_JVM : null != peerDriver ? IPC_ON_HOST : UDP;
    }

    public boolean isIpc()
    {
        return this != UDP;
    }

    public String label()
    {
        return label;
    }
}
