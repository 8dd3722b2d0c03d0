package io.evento.bench;

import io.evento.rocksdb.RocksDbExecutor;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.RocksObject;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * RocksDB, in folders under {@code target/bench-data/}: a fresh folder per store, holding the
 * executor's database and the raw side's. The folder is deleted on close.
 */
final class RocksDbBackend implements Backend {
    @Override
    public String name() {
        return "rocksdb";
    }

    @Override
    public String version() {
        RocksDB.loadLibrary();
        return "RocksDB " + RocksDB.rocksdbVersion();
    }

    @Override
    public Store open(int writers) {
        // `writers` threads may append at once; both sides serialize them (the executor through its
        // writer thread, the raw side through a lock).
        Path folder = RawSupport.freshFolder("rocksdb-");
        RocksDbExecutor executor = null;
        RocksRaw raw = null;
        try {
            // The default durability, SURVIVES_PROCESS_CRASH: every batch goes to the write-ahead log, unsynced.
            executor = RocksDbExecutor.open(folder.resolve("library"));
            raw = new RocksRaw(folder.resolve("raw"));
            Executor shared = new Unclosable(executor);
            return new BenchStore(executor, raw, () -> shared, () -> RawSupport.deleteRecursively(folder));
        } catch (RuntimeException e) {
            throw BenchStore.abandon(e, executor, raw, () -> RawSupport.deleteRecursively(folder));
        }
    }

    /**
     * The raw RocksDB API on a database of its own, opened with the options the executor's store
     * uses (Store.open) and written with its write options: WAL on, not synced (the executor's
     * default {@code SURVIVES_PROCESS_CRASH} durability).
     *
     * <p>It stores what the SQL baselines store in the executor's own tables: a row per event with
     * every column, and the same indexes. In RocksDB terms, per event: a record in {@code log}
     * (position, 8 bytes big-endian so byte order is number order → id, type, aggregate id,
     * version, name, routing key, timestamp, payload, metadata, each length-prefixed: a plain
     * layout of the same fields as the executor's records), an entry in {@code aggregates} ((type,
     * id, version) → position, with the bloom filters the executor gives its point-lookup families),
     * and an entry in each of the by-type, by-name and by-routing-key indexes ((prefix, position) →
     * nothing), which back the same queries as the SQL tables' secondary indexes. An append takes
     * a lock (the store has one position counter, and the executor too writes from one thread),
     * checks that the first version is free (one point lookup: what the unique key does for the SQL
     * baselines, and the least the executor's own check does), then writes one {@link WriteBatch}.
     * Writing from the calling threads, without a queue or a writer thread, is what "the raw API"
     * means here.
     *
     * <p>A scan iterates the log from a position and decodes every field of each record, strings
     * included, as the SQL baselines read every column; a load iterates an aggregate's prefix and
     * reads each record from the log by position, as the executor does.
     */
    static final class RocksRaw implements Raw {
        private static final byte[] EMPTY = new byte[0];

        private final List<RocksObject> options = new ArrayList<>();
        private final List<ColumnFamilyHandle> handles = new ArrayList<>();
        private final RocksDB db;
        private final ColumnFamilyHandle log;
        private final ColumnFamilyHandle aggregates;
        private final ColumnFamilyHandle byType;
        private final ColumnFamilyHandle byName;
        private final ColumnFamilyHandle byRouting;
        private final WriteOptions writeOptions;
        private final ReentrantLock writeLock = new ReentrantLock();
        private final byte[] typePrefix;
        private final byte[] namePrefix;
        private final byte[] noRoutingPrefix;

        /** The last position written; guarded by {@link #writeLock}. */
        private long lastPosition;

        RocksRaw(Path dir) {
            RocksDB.loadLibrary();
            RocksDB opened = null;
            try {
                DBOptions dbOptions = new DBOptions()
                        .setCreateIfMissing(true)
                        .setCreateMissingColumnFamilies(true)
                        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                        .setKeepLogFileNum(4);
                options.add(dbOptions);
                ColumnFamilyOptions rangeReads = new ColumnFamilyOptions();
                options.add(rangeReads);
                BloomFilter bloom = new BloomFilter(10);
                options.add(bloom);
                ColumnFamilyOptions pointLookups = new ColumnFamilyOptions()
                        .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(bloom))
                        .setMemtableWholeKeyFiltering(true)
                        .setMemtablePrefixBloomSizeRatio(0.05);
                options.add(pointLookups);
                WriteOptions unsynced = new WriteOptions().setSync(false);
                options.add(unsynced);
                List<ColumnFamilyDescriptor> descriptors = List.of(
                        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, rangeReads),
                        new ColumnFamilyDescriptor("log".getBytes(StandardCharsets.US_ASCII), rangeReads),
                        new ColumnFamilyDescriptor("aggregates".getBytes(StandardCharsets.US_ASCII), pointLookups),
                        new ColumnFamilyDescriptor("by_type".getBytes(StandardCharsets.US_ASCII), rangeReads),
                        new ColumnFamilyDescriptor("by_name".getBytes(StandardCharsets.US_ASCII), rangeReads),
                        new ColumnFamilyDescriptor("by_routing".getBytes(StandardCharsets.US_ASCII), rangeReads));
                opened = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
                this.db = opened;
                this.log = handles.get(1);
                this.aggregates = handles.get(2);
                this.byType = handles.get(3);
                this.byName = handles.get(4);
                this.byRouting = handles.get(5);
                this.writeOptions = unsynced;
            } catch (RocksDBException | RuntimeException e) {
                closeNative(opened);
                throw new IllegalStateException("opening the raw RocksDB database in " + dir + " failed", e);
            }
            typePrefix = lengthPrefixed(RawSupport.AGGREGATE_TYPE);
            namePrefix = concat(typePrefix, lengthPrefixed(RawSupport.EVENT_NAME));
            noRoutingPrefix = new byte[] {0};
        }

        @Override
        public void append(String aggregateId, int firstVersion, List<byte[]> payloads) {
            byte[] prefix = aggregatePrefix(aggregateId);
            byte[] metadata = RawSupport.metadata(RawSupport.newId());
            long micros = RawSupport.nowMicros();
            writeLock.lock();
            try (WriteBatch batch = new WriteBatch()) {
                if (db.get(aggregates, withVersion(prefix, firstVersion)) != null) {
                    throw new IllegalStateException(
                            "raw append to " + aggregateId + ": version " + firstVersion + " exists");
                }
                long position = lastPosition;
                for (int i = 0; i < payloads.size(); i++) {
                    byte[] key = positionKey(++position);
                    byte[] record = record(
                            RawSupport.newId(), aggregateId, firstVersion + i, micros, payloads.get(i), metadata);
                    batch.put(log, key, record);
                    batch.put(aggregates, withVersion(prefix, firstVersion + i), key);
                    batch.put(byType, concat(typePrefix, key), EMPTY);
                    batch.put(byName, concat(namePrefix, key), EMPTY);
                    batch.put(byRouting, concat(noRoutingPrefix, key), EMPTY);
                }
                db.write(writeOptions, batch);
                lastPosition = position;
            } catch (RocksDBException e) {
                throw new IllegalStateException("raw append to " + aggregateId + " failed: " + e.getMessage(), e);
            } finally {
                writeLock.unlock();
            }
        }

        @Override
        public long scan(long afterPosition, int limit, Consumer<byte[]> each) {
            long last = -1;
            try (RocksIterator it = db.newIterator(log)) {
                int read = 0;
                for (it.seek(positionKey(afterPosition + 1)); it.isValid() && read < limit; it.next()) {
                    each.accept(payloadOf(it.value()));
                    last = ByteBuffer.wrap(it.key()).getLong();
                    read++;
                }
                it.status();
            } catch (RocksDBException e) {
                throw new IllegalStateException("raw scan failed: " + e.getMessage(), e);
            }
            return last;
        }

        @Override
        public void load(String aggregateId, Consumer<byte[]> each) {
            byte[] prefix = aggregatePrefix(aggregateId);
            try (RocksIterator it = db.newIterator(aggregates)) {
                for (it.seek(prefix); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (key.length != prefix.length + 4 || !startsWith(key, prefix)) {
                        break;
                    }
                    each.accept(payloadOf(db.get(log, it.value())));
                }
                it.status();
            } catch (RocksDBException e) {
                throw new IllegalStateException("raw load of " + aggregateId + " failed: " + e.getMessage(), e);
            }
        }

        /** An event record: id, type, aggregate id, version, name, no routing key, timestamp, payload, metadata. */
        private static byte[] record(
                String id, String aggregateId, int version, long micros, byte[] payload, byte[] metadata) {
            byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
            byte[] type = RawSupport.AGGREGATE_TYPE.getBytes(StandardCharsets.UTF_8);
            byte[] aggregate = aggregateId.getBytes(StandardCharsets.UTF_8);
            byte[] name = RawSupport.EVENT_NAME.getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.allocate(4 * 7
                    + 1
                    + 8
                    + idBytes.length
                    + type.length
                    + aggregate.length
                    + name.length
                    + payload.length
                    + metadata.length);
            putBytes(out, idBytes);
            putBytes(out, type);
            putBytes(out, aggregate);
            out.putInt(version);
            putBytes(out, name);
            out.put((byte) 0);
            out.putLong(micros);
            putBytes(out, payload);
            putBytes(out, metadata);
            return out.array();
        }

        /** Decodes every field of a record, as a SQL scan reads every column; returns the payload. */
        private static byte[] payloadOf(byte[] record) {
            ByteBuffer in = ByteBuffer.wrap(record);
            String id = getString(in);
            String type = getString(in);
            String aggregateId = getString(in);
            int version = in.getInt();
            String name = getString(in);
            String routingKey = in.get() == 0 ? null : getString(in);
            long micros = in.getLong();
            byte[] payload = getBytes(in);
            byte[] metadata = getBytes(in);
            RawSupport.keep(id, type, aggregateId, version, name, routingKey, metadata, micros);
            return payload;
        }

        private static void putBytes(ByteBuffer out, byte[] bytes) {
            out.putInt(bytes.length).put(bytes);
        }

        private static byte[] getBytes(ByteBuffer in) {
            byte[] bytes = new byte[in.getInt()];
            in.get(bytes);
            return bytes;
        }

        private static String getString(ByteBuffer in) {
            int length = in.getInt();
            String text = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
            in.position(in.position() + length);
            return text;
        }

        @Override
        public void close() {
            writeLock.lock();
            try {
                closeNative(db);
            } finally {
                writeLock.unlock();
            }
        }

        /** Column family handles, then the database, then its options: the order RocksDB requires. */
        private void closeNative(RocksDB database) {
            handles.forEach(RocksObject::close);
            handles.clear();
            if (database != null) {
                database.close();
            }
            options.reversed().forEach(RocksObject::close);
            options.clear();
        }

        /** The prefix of one aggregate's keys: type and id, each length-prefixed. */
        private byte[] aggregatePrefix(String aggregateId) {
            return concat(typePrefix, lengthPrefixed(aggregateId));
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] both = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            return both;
        }

        private static byte[] lengthPrefixed(String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(4 + bytes.length)
                    .putInt(bytes.length)
                    .put(bytes)
                    .array();
        }

        private static byte[] withVersion(byte[] prefix, int version) {
            return ByteBuffer.allocate(prefix.length + 4)
                    .put(prefix)
                    .putInt(version)
                    .array();
        }

        private static byte[] positionKey(long position) {
            return ByteBuffer.allocate(8).putLong(position).array();
        }

        private static boolean startsWith(byte[] key, byte[] prefix) {
            return Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
        }
    }

    /**
     * The store's executor, for {@link Backend.Store#reopen()}: RocksDB lets one process open a
     * directory once (a second open fails on the directory's lock, and the executor refuses it
     * before RocksDB would), so "another executor over the same store" can only be the same one.
     * Closing this view does nothing; the store closes the executor itself. The latency scenario
     * then subscribes on the executor it writes on, the only way RocksDB is ever used.
     */
    static final class Unclosable extends ForwardingExecutor {
        Unclosable(Executor delegate) {
            super(delegate);
        }

        @Override
        public void close() {
            // The store closes the executor.
        }
    }
}
