package io.evento.bench;

import io.evento.Codec;
import io.evento.CommitBuilder;
import io.evento.Evento;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A catch-up subscription reading the whole log with a no-op handler, against a raw keyset scan of
 * the same rows that decodes every payload with the same JSON mapper (design target: at least 0.5
 * of raw).
 *
 * <p>The store is seeded, untimed, with {@link Mode#catchUpEvents()} {@link BenchEvents.Deposited}
 * events in commits of 1,000 events, spread round-robin over up to 1,000 aggregates (100 aggregates
 * of 1,000 events for 100k events, 1,000 for 1M); the raw side gets the same payloads in the same
 * commits. Each timed library round runs {@code execute()} of a subscription under a new key, so it
 * starts from the beginning: {@code .all()} routing, {@code chunkSize(1000)}, one handler on the
 * whole {@link BenchEvents} family that only counts. Each raw round scans pages of 1,000 rows in
 * position order and decodes each payload with {@code Codec.json()}. With a million events the
 * rounds are long: one warm-up and at most three timed rounds per side; with a hundred thousand,
 * three warm-ups and five timed rounds.
 *
 * <p>The second result is the memory target: the same library catch-up in a child JVM with {@code
 * -Xmx128m} ({@link #lowHeapChild}), which seeds a store of its own, reads it once and prints its
 * rate on one line ({@link #printChildResult}) for this parent to parse.
 */
final class CatchUpScenario implements Scenario {
    /** Events per commit, when seeding. */
    static final int COMMIT_SIZE = 1_000;

    /** The most aggregates the events are spread over. */
    static final int MAX_AGGREGATES = 1_000;

    /** Events per page or chunk, on both sides. */
    static final int PAGE = 1_000;

    /** The line the child prints its rate on, followed by the rate in events/s. */
    static final String RESULT_PREFIX = "RESULT ";

    /** How long the child JVM may run. */
    private static final long CHILD_TIMEOUT_MINUTES = 10;

    /** How many of the child's last output lines a failure note quotes. */
    private static final int TAIL_LINES = 5;

    /** Distinguishes the subscription keys of successive rounds. */
    private static final AtomicLong ROUNDS = new AtomicLong();

    /** Where the raw side's decoded amounts go, so the decoding cannot be optimised away. */
    private static volatile long sink;

    @Override
    public String name() {
        return "catchup";
    }

    @Override
    public List<Result> run(Backend backend, Mode mode) throws Exception {
        List<Result> results = new ArrayList<>();
        results.add(sideBySide(backend, mode));
        results.add(lowHeap(backend, mode));
        return results;
    }

    /** The in-process measurement: library against raw on one seeded store. */
    private static Result sideBySide(Backend backend, Mode mode) throws Exception {
        int events = mode.catchUpEvents();
        // A million events make long rounds: one warm-up and at most three timed rounds per side.
        // A hundred thousand make short ones (under a second), where the JIT is still compiling
        // the library's longer path after one warm-up: three warm-ups and five timed rounds.
        Mode rounds = events >= 1_000_000
                ? new Mode(
                        mode.name(),
                        1,
                        Math.min(mode.iterations(), 3),
                        mode.iteration(),
                        mode.catchUpEvents(),
                        mode.latencySamples())
                : new Mode(
                        mode.name(),
                        Math.max(mode.warmups(), 3),
                        Math.max(mode.iterations(), 5),
                        mode.iteration(),
                        mode.catchUpEvents(),
                        mode.latencySamples());
        try (Backend.Store store = backend.open(1)) {
            Evento evento = evento(store);
            Raw raw = store.raw();
            seed(evento, raw, events);
            Codec codec = Codec.json();
            Measure.Pair pair = Measure.fixed(rounds, () -> catchUp(evento, events), () -> scan(raw, codec, events));
            return Result.rates(
                            "catch-up (" + count(events) + " events)",
                            backend.name(),
                            "events/s",
                            pair,
                            0.5,
                            "≥ 0.5 of raw keyset scan + decode")
                    .withNote("subscription execute(), no-op handler, chunks of " + PAGE + "; raw: pages of " + PAGE
                            + ", every payload decoded");
        }
    }

    /**
     * Runs the low-heap catch-up inside the child JVM (Bench's {@code --child=catchup-128m} mode):
     * seeds a fresh store of its own with {@link Mode#catchUpEvents()} events (library side only)
     * and reads it once with a subscription's {@code execute()}.
     *
     * @param backend the backend
     * @param mode quick or full
     * @return the library's rate, with the note that it ran in {@code -Xmx128m}
     */
    static Result lowHeapChild(Backend backend, Mode mode) {
        int events = mode.catchUpEvents();
        try (Backend.Store store = backend.open(1)) {
            Evento evento = evento(store);
            seed(evento, null, events);
            long start = System.nanoTime();
            long handled = catchUp(evento, events);
            double rate = handled / ((System.nanoTime() - start) / 1e9);
            return lowHeapResult(backend, rate, "yes", "ran in -Xmx128m (max heap " + maxHeapMb() + " MB)");
        }
    }

    /**
     * Prints the child's one result line: {@value #RESULT_PREFIX} followed by the rate, which the
     * parent parses. Bench's child mode calls it after {@link #lowHeapChild}.
     *
     * @param rate the library's catch-up rate, in events/s
     */
    static void printChildResult(double rate) {
        System.out.println(RESULT_PREFIX + String.format(Locale.ROOT, "%.1f", rate));
        System.out.flush();
    }

    /** Runs {@link #lowHeapChild} in a child JVM with a 128 MB heap and reads its rate. */
    private static Result lowHeap(Backend backend, Mode mode) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-Xmx128m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.evento.bench.Bench",
                        "--child=catchup-128m",
                        "--backend=" + backend.name(),
                        "--mode=" + mode.name())
                .redirectErrorStream(true);
        Process child = builder.start();
        child.getOutputStream().close();
        ChildOutput output = new ChildOutput(child);
        Thread reader =
                Thread.ofPlatform().daemon().name("catchup-child-output").start(output);
        boolean exited = child.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!exited) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String lastLines = output.lastLines();
        double measured = output.rate();
        if (!exited) {
            return lowHeapResult(
                    backend,
                    measured,
                    "no",
                    "the child JVM did not finish in " + CHILD_TIMEOUT_MINUTES + " minutes; last output: " + lastLines);
        }
        int exit = child.exitValue();
        if (exit == 0 && !Double.isNaN(measured)) {
            return lowHeapResult(backend, measured, "yes", "ran in -Xmx128m (child JVM)");
        }
        return lowHeapResult(
                backend,
                measured,
                "no",
                "child JVM -Xmx128m exited with " + exit
                        + (Double.isNaN(measured) ? " without a result" : "")
                        + "; last output: " + lastLines);
    }

    /** Reads the child's output: the rate from its result line, and its last other lines. */
    private static final class ChildOutput implements Runnable {
        private final Process child;
        private final Deque<String> tail = new ArrayDeque<>();
        private double rate = Double.NaN;

        ChildOutput(Process child) {
            this.child = child;
        }

        @Override
        public void run() {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    line(line);
                }
            } catch (IOException e) {
                line("(reading the child's output failed: " + e + ")");
            }
        }

        private synchronized void line(String line) {
            if (line.startsWith(RESULT_PREFIX)) {
                try {
                    rate = Double.parseDouble(
                            line.substring(RESULT_PREFIX.length()).trim());
                    return;
                } catch (NumberFormatException e) {
                    // Not a result after all: keep it with the other lines.
                }
            }
            tail.addLast(line);
            while (tail.size() > TAIL_LINES) {
                tail.removeFirst();
            }
        }

        synchronized double rate() {
            return rate;
        }

        synchronized String lastLines() {
            return tail.isEmpty() ? "(none)" : String.join(" | ", tail);
        }
    }

    private static Result lowHeapResult(Backend backend, double rate, String met, String note) {
        String spread = Measure.format(rate);
        return Result.alone(
                "catch-up in -Xmx128m",
                backend.name(),
                "events/s",
                rate,
                spread + "–" + spread,
                Double.NaN,
                Double.NaN,
                "runs in -Xmx128m",
                met,
                note);
    }

    static Evento evento(Backend.Store store) {
        return Evento.builder(store.executor()).register(BenchEvents.class).build();
    }

    /**
     * Seeds {@code events} events in commits of {@link #COMMIT_SIZE}, round-robin over the
     * aggregates, through the library and, when {@code raw} is given, the same payloads on the raw
     * side.
     */
    static void seed(Evento evento, Raw raw, int events) {
        Codec codec = Codec.json();
        int commits = Math.ceilDiv(events, COMMIT_SIZE);
        int aggregates = Math.max(1, Math.min(MAX_AGGREGATES, commits));
        int[] versions = new int[aggregates];
        int written = 0;
        for (int c = 0; c < commits; c++) {
            int a = c % aggregates;
            String id = "catchup-" + a;
            int size = Math.min(COMMIT_SIZE, events - written);
            CommitBuilder commit = evento.aggregator(id).originalVersion(versions[a]);
            List<byte[]> payloads = raw == null ? null : new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                BenchEvents.Deposited event = deposit(written + i);
                commit.event(event);
                if (payloads != null) {
                    payloads.add(codec.encode(event));
                }
            }
            commit.commit();
            if (raw != null) {
                raw.append(id, versions[a] + 1, payloads);
            }
            versions[a] += size;
            written += size;
        }
    }

    /** The n-th seeded event: a small, realistic payload. */
    static BenchEvents.Deposited deposit(int n) {
        return new BenchEvents.Deposited(
                100 + (n % 10_000), "TX-" + (1_000_000_000L + n), "salary deposit, batch " + (n / COMMIT_SIZE));
    }

    /** One library catch-up from the beginning, under a key of its own; returns the events handled. */
    static long catchUp(Evento evento, int expected) {
        AtomicLong handled = new AtomicLong();
        evento.subscription("bench-catchup-" + ROUNDS.incrementAndGet())
                .on(BenchEvents.class, (e, ctx) -> handled.incrementAndGet())
                .all()
                .chunkSize(PAGE)
                .execute();
        long n = handled.get();
        if (n != expected) {
            throw new IllegalStateException("the subscription handled " + n + " events, expected " + expected);
        }
        return n;
    }

    /** One raw keyset scan of the whole table, decoding every payload; returns the rows read. */
    static long scan(Raw raw, Codec codec, int expected) {
        Decoder decoder = new Decoder(codec);
        long after = 0;
        while (true) {
            long last = raw.scan(after, PAGE, decoder);
            if (last < 0) {
                break;
            }
            after = last;
        }
        sink = decoder.amounts;
        if (decoder.rows != expected) {
            throw new IllegalStateException("the raw scan read " + decoder.rows + " rows, expected " + expected);
        }
        return decoder.rows;
    }

    /** Decodes each scanned payload and keeps a running count and sum. */
    private static final class Decoder implements Consumer<byte[]> {
        private final Codec codec;
        long rows;
        long amounts;

        Decoder(Codec codec) {
            this.codec = codec;
        }

        @Override
        public void accept(byte[] payload) {
            amounts += codec.decode(payload, BenchEvents.Deposited.class).amount();
            rows++;
        }
    }

    private static String count(int events) {
        return events % 1_000_000 == 0
                ? events / 1_000_000 + "M"
                : events % 1_000 == 0 ? events / 1_000 + "k" : "" + events;
    }

    private static long maxHeapMb() {
        return Runtime.getRuntime().maxMemory() / (1024 * 1024);
    }
}
