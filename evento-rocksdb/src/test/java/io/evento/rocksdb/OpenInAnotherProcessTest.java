package io.evento.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.StoreException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenInAnotherProcessTest {
    @TempDir
    Path dir;

    @Test
    void a_store_open_in_another_process_is_refused_clearly_until_that_process_closes_it() throws Exception {
        Path store = dir.resolve("store");
        Path errors = dir.resolve("process.err");
        Process other = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        HoldOpenInAnotherProcess.class.getName(),
                        store.toString())
                .redirectError(errors.toFile())
                .start();
        try {
            BufferedReader output =
                    new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            assertThat(output.readLine())
                    .as("the other process's output; its errors: %s", Files.readString(errors))
                    .isEqualTo("open");

            assertThatThrownBy(() -> RocksDbExecutor.open(store))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("opening the RocksDB store in " + store.toRealPath())
                    .hasMessageContaining("if another process has this store open")
                    .satisfies(
                            e -> assertThat(((StoreException) e).isTransient()).isTrue());

            other.getOutputStream().close();
            assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(other.exitValue())
                    .as("errors: %s", Files.readString(errors))
                    .isZero();
            try (RocksDbExecutor executor = RocksDbExecutor.open(store)) {
                assertThat(executor.lastEvent("t", "from-another-process")).isPresent();
            }
        } finally {
            other.destroyForcibly();
        }
    }
}
