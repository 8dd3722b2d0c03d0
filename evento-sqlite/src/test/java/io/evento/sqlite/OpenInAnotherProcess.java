package io.evento.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a store from a second JVM, for the test that two processes migrate the same new file at
 * once. Prints {@code ready}, waits until the file named by the second argument exists (so that
 * both processes open at the same moment), opens the store, prints its id and exits.
 */
public final class OpenInAnotherProcess {
    private OpenInAnotherProcess() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Path go = Path.of(args[1]);
        System.out.println("ready");
        System.out.flush();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(go)) {
            if (System.nanoTime() > deadline) {
                System.err.println("no start signal within 60 s");
                System.exit(2);
            }
            Thread.sleep(1);
        }
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            System.out.println("store " + executor.storeId());
        }
    }
}
