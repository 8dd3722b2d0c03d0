package io.evento.rocksdb;

import io.evento.tck.fixtures.TestEvents;
import java.nio.file.Path;

/**
 * Opens a store from a second JVM and keeps it open, for the test that another process's open
 * store is refused: prints {@code open} once the store is open, and closes it when its standard
 * input ends.
 */
public final class HoldOpenInAnotherProcess {
    private HoldOpenInAnotherProcess() {}

    public static void main(String[] args) throws Exception {
        try (RocksDbExecutor executor = RocksDbExecutor.open(Path.of(args[0]))) {
            executor.write(TestEvents.events("t", "from-another-process", 1, 1));
            System.out.println("open");
            System.out.flush();
            while (System.in.read() >= 0) {
                // Wait for the parent to close our input.
            }
        }
    }
}
