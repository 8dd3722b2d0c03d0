package io.evento;

/**
 * When loading a projection saves a snapshot of it, so later loads start there instead of at the
 * first event. Snapshot writes run in the background: they never slow a load down or make it fail
 * (a failed write is logged).
 */
public sealed interface SnapshotPolicy {

    /**
     * Only {@link Evento#snapshot(Projection, String)} saves snapshots.
     *
     * @return the policy
     */
    static SnapshotPolicy manual() {
        return new Manual();
    }

    /**
     * Saves a snapshot whenever the aggregate's version passed a multiple of {@code n} since the
     * last snapshot: at about 100, 200, 300 ... for {@code n = 100}.
     *
     * @param n the spacing, at least 1
     * @return the policy
     */
    static SnapshotPolicy everyEvents(int n) {
        return new EveryEvents(n);
    }

    /**
     * Saves a snapshot when a load had to fold more than {@code n} events after the last snapshot.
     *
     * @param n the most events a load may fold without saving, at least 0
     * @return the policy
     */
    static SnapshotPolicy whenReplayedMoreThan(int n) {
        return new WhenReplayedMoreThan(n);
    }

    /**
     * Whether a load should save a snapshot.
     *
     * @param snapshotVersion the version of the snapshot the load started from, 0 if none
     * @param version the version the load reached
     * @param replayed how many events the load folded
     * @return {@code true} to save one at {@code version}
     */
    boolean shouldSave(int snapshotVersion, int version, int replayed);

    /** See {@link #manual()}. */
    record Manual() implements SnapshotPolicy {
        @Override
        public boolean shouldSave(int snapshotVersion, int version, int replayed) {
            return false;
        }
    }

    /**
     * See {@link #everyEvents(int)}.
     *
     * @param n the spacing
     */
    record EveryEvents(int n) implements SnapshotPolicy {
        /**
         * Validates the spacing.
         *
         * @param n at least 1
         */
        public EveryEvents {
            if (n < 1) {
                throw new IllegalArgumentException("n must be at least 1, was " + n);
            }
        }

        @Override
        public boolean shouldSave(int snapshotVersion, int version, int replayed) {
            return version / n > snapshotVersion / n;
        }
    }

    /**
     * See {@link #whenReplayedMoreThan(int)}.
     *
     * @param n the threshold
     */
    record WhenReplayedMoreThan(int n) implements SnapshotPolicy {
        /**
         * Validates the threshold.
         *
         * @param n at least 0
         */
        public WhenReplayedMoreThan {
            if (n < 0) {
                throw new IllegalArgumentException("n must not be negative, was " + n);
            }
        }

        @Override
        public boolean shouldSave(int snapshotVersion, int version, int replayed) {
            return replayed > n;
        }
    }
}
