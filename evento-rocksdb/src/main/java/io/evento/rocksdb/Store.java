package io.evento.rocksdb;

import io.evento.StoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.RocksObject;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The open RocksDB database: its column families, options and the facts kept in its meta column
 * family. It owns every native handle and closes them in the order RocksDB requires: column family
 * handles, then the database, then the options they were made with.
 *
 * <p>All column families share one write-ahead log, so a write batch spanning them (an event, its
 * index entries and the last position) is atomic across a crash as well: recovery replays the log
 * into every column family that had not yet flushed it.
 */
final class Store implements AutoCloseable {
    /**
     * The format of the store as a whole, kept in its meta column family: which column families it
     * has and which record formats it may hold.
     *
     * <ol>
     *   <li>The first release.
     *   <li>Adds the dead-letter store (column families {@code parked} and {@code parked_by_event},
     *       meta record {@code last-parked}) and subscriber records of format 2 (paused flag, no
     *       worker). A store of format 1 is upgraded when opened: the new column families are
     *       created empty and the format is recorded; its subscriber records stay as they are and are
     *       still read ({@link Records}).
     *   <li>Drops the meta record {@code last-position}. The last position is the last key of the
     *       {@code events} column family, read when the store opens; recording it again in every
     *       batch made each write touch one more column family, which cost 1-event appends about a
     *       seventh of their rate. A store of format 1 or 2 is upgraded when opened: the record is
     *       checked against the last event one last time, then deleted, and the format recorded, in
     *       one synced write.
     * </ol>
     *
     * <p>A release refuses a store of a format it does not know, so an older release never writes
     * into a store whose records it cannot read.
     */
    static final int FORMAT = 3;

    /** The column families besides {@code default} (which holds the meta records), in handle order. */
    static final List<String> COLUMN_FAMILIES = List.of(
            "events",
            "aggregates",
            "events_by_type",
            "events_by_name",
            "events_by_routing_key",
            "subscribers",
            "snapshots",
            "parked",
            "parked_by_event");

    /** The column families a store of format 1 has: the first seven. */
    private static final List<String> FORMAT_1_COLUMN_FAMILIES = COLUMN_FAMILIES.subList(0, 7);

    /** The column families read by key, not by range. */
    private static final Set<String> POINT_LOOKUPS =
            Set.of("aggregates", "subscribers", "snapshots", "parked_by_event");

    private static final SecureRandom RANDOM = new SecureRandom();

    final RocksDB db;
    final ColumnFamilyHandle meta;
    final ColumnFamilyHandle events;
    final ColumnFamilyHandle aggregates;
    final ColumnFamilyHandle byType;
    final ColumnFamilyHandle byName;
    final ColumnFamilyHandle byRouting;
    final ColumnFamilyHandle subscribers;
    final ColumnFamilyHandle snapshots;
    final ColumnFamilyHandle parked;
    final ColumnFamilyHandle parkedByEvent;
    final WriteOptions writeOptions;
    final String storeId;
    final long lastPosition;
    final long lastParked;

    private final List<ColumnFamilyHandle> handles;
    private final List<RocksObject> options;

    private Store(
            RocksDB db,
            List<ColumnFamilyHandle> handles,
            List<RocksObject> options,
            WriteOptions writeOptions,
            String storeId,
            long lastPosition,
            long lastParked) {
        this.db = db;
        this.handles = handles;
        this.options = options;
        this.meta = handles.get(0);
        this.events = handles.get(1);
        this.aggregates = handles.get(2);
        this.byType = handles.get(3);
        this.byName = handles.get(4);
        this.byRouting = handles.get(5);
        this.subscribers = handles.get(6);
        this.snapshots = handles.get(7);
        this.parked = handles.get(8);
        this.parkedByEvent = handles.get(9);
        this.writeOptions = writeOptions;
        this.storeId = storeId;
        this.lastPosition = lastPosition;
        this.lastParked = lastParked;
    }

    /**
     * Opens (creating if missing, upgrading if of an older format) the database in {@code dir}, and
     * its store id, last position and last parked sequence number.
     *
     * @throws RocksDBException if RocksDB refuses to open it
     * @throws StoreException if it holds data this release cannot use
     */
    static Store open(Path dir, boolean sync) throws RocksDBException {
        RocksDB.loadLibrary();
        refuseForeignDatabase(dir);
        List<RocksObject> options = new ArrayList<>();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = null;
        try {
            DBOptions dbOptions = new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    // After a crash, recover the longest consistent prefix of the write-ahead log: a
                    // torn last write is dropped, and nothing after a hole is ever replayed.
                    .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                    .setKeepLogFileNum(4);
            options.add(dbOptions);
            ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
            options.add(cfOptions);
            // Point lookups (an aggregate's version, a subscriber, a snapshot) are mostly answered by
            // bloom filters, in the memtable and in every table file, when the key is absent.
            BloomFilter bloom = new BloomFilter(10);
            options.add(bloom);
            BlockBasedTableConfig pointLookupTables = new BlockBasedTableConfig().setFilterPolicy(bloom);
            ColumnFamilyOptions pointLookups = new ColumnFamilyOptions()
                    .setTableFormatConfig(pointLookupTables)
                    .setMemtableWholeKeyFiltering(true)
                    .setMemtablePrefixBloomSizeRatio(0.05);
            options.add(pointLookups);
            WriteOptions writeOptions = new WriteOptions().setSync(sync);
            options.add(writeOptions);

            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
            for (String name : COLUMN_FAMILIES) {
                descriptors.add(new ColumnFamilyDescriptor(
                        name.getBytes(StandardCharsets.US_ASCII),
                        POINT_LOOKUPS.contains(name) ? pointLookups : cfOptions));
            }
            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            ColumnFamilyHandle meta = handles.get(0);
            ColumnFamilyHandle events = handles.get(1);

            long lastPosition = lastPosition(db, events);
            String storeId = storeId(db, meta, lastPosition, dir);
            byte[] parked = db.get(meta, Keys.LAST_PARKED);
            // Absent until the first event is parked (and in a store upgraded from format 1).
            long lastParked = parked == null ? 0 : parked.length == 8 ? Bytes.readLong(parked, 0) : -1;
            if (lastParked < 0) {
                throw new StoreException(
                        "the RocksDB store in " + dir + " is corrupt: its last parked sequence number is not a"
                                + " positive number",
                        null,
                        false);
            }
            return new Store(db, handles, options, writeOptions, storeId, lastPosition, lastParked);
        } catch (RocksDBException | RuntimeException | Error e) {
            RocksDBException closing = closeAll(handles, db, options);
            if (closing != null) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * Refuses a RocksDB database that another application created in the directory: opening it
     * would add column families and meta records to it. The column families of a store of format 1
     * are accepted: opening creates the missing ones, and {@link #storeId} records the upgrade.
     */
    private static void refuseForeignDatabase(Path dir) throws RocksDBException {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return;
        }
        Set<String> found = new TreeSet<>();
        try (Options options = new Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(options, dir.toString())) {
                found.add(new String(name, StandardCharsets.UTF_8));
            }
        }
        String defaultFamily = new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8);
        Set<String> expected = new TreeSet<>(COLUMN_FAMILIES);
        expected.add(defaultFamily);
        Set<String> format1 = new TreeSet<>(FORMAT_1_COLUMN_FAMILIES);
        format1.add(defaultFamily);
        if (!found.equals(expected) && !found.equals(format1)) {
            throw new StoreException(
                    "the directory " + dir + " holds a RocksDB database that is not an Evento store of this release:"
                            + " its column families are " + found + ", an Evento store's are " + expected,
                    null,
                    false);
        }
    }

    private static long lastPosition(RocksDB db, ColumnFamilyHandle events) throws RocksDBException {
        try (RocksIterator it = db.newIterator(events)) {
            it.seekToLast();
            if (it.isValid()) {
                return Keys.positionAtEnd(it.key());
            }
            it.status();
            return 0;
        }
    }

    /**
     * Reads the store id, or creates it (with the format and last position) in a new store, after
     * checking the store's format and upgrading a store of format 1.
     */
    private static String storeId(RocksDB db, ColumnFamilyHandle meta, long lastPosition, Path dir)
            throws RocksDBException {
        byte[] id = db.get(meta, Keys.STORE_ID);
        if (id == null) {
            if (lastPosition != 0) {
                throw new StoreException(
                        "the RocksDB store in " + dir + " holds events but no store id: it was not written by Evento",
                        null,
                        false);
            }
            byte[] random = new byte[6];
            RANDOM.nextBytes(random);
            String storeId = HexFormat.of().formatHex(random);
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions synced = new WriteOptions().setSync(true)) {
                byte[] format = new byte[4];
                Bytes.writeInt(format, 0, FORMAT);
                batch.put(meta, Keys.FORMAT, format);
                batch.put(meta, Keys.STORE_ID, storeId.getBytes(StandardCharsets.US_ASCII));
                db.write(synced, batch);
            }
            return storeId;
        }
        byte[] format = db.get(meta, Keys.FORMAT);
        int version = format == null || format.length != 4 ? -1 : Bytes.readInt(format, 0);
        if (version == 1 || version == 2) {
            // Format 2 only added: its column families exist now (created empty when the store was
            // opened), and format 1 records are read as they are. Format 3 drops the last-position
            // record, checked here one last time. The previous releases refuse the store from now on.
            byte[] recorded = db.get(meta, Keys.LAST_POSITION);
            long recordedPosition = recorded == null || recorded.length != 8 ? -1 : Bytes.readLong(recorded, 0);
            if (recordedPosition != lastPosition) {
                throw new StoreException(
                        "the RocksDB store in " + dir + " is inconsistent: its meta records last position "
                                + recordedPosition + " but its last event is at " + lastPosition,
                        null,
                        false);
            }
            byte[] upgraded = new byte[4];
            Bytes.writeInt(upgraded, 0, FORMAT);
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions synced = new WriteOptions().setSync(true)) {
                batch.delete(meta, Keys.LAST_POSITION);
                batch.put(meta, Keys.FORMAT, upgraded);
                db.write(synced, batch);
            }
        } else if (version != FORMAT) {
            throw new StoreException(
                    "the RocksDB store in " + dir + " is in format " + version + ", this release reads formats 1 to "
                            + FORMAT,
                    null,
                    false);
        }
        return new String(id, StandardCharsets.US_ASCII);
    }

    /** Makes the write-ahead log durable, then releases every native handle. */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            // Make a clean shutdown durable even without per-write syncs: one fsync of the log.
            db.flushWal(true);
        } catch (RocksDBException e) {
            failure = RocksErrors.failure("syncing the write-ahead log on close", e);
        }
        RocksDBException closing = closeAll(handles, db, options);
        if (closing != null) {
            StoreException closeFailure = RocksErrors.failure("closing the RocksDB store", closing);
            if (failure != null) {
                closeFailure.addSuppressed(failure);
            }
            throw closeFailure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes the handles in RocksDB's order; returns the database's close error, if any. */
    private static RocksDBException closeAll(List<ColumnFamilyHandle> handles, RocksDB db, List<RocksObject> options) {
        RocksDBException failure = null;
        for (ColumnFamilyHandle handle : handles) {
            handle.close();
        }
        if (db != null) {
            try {
                db.closeE();
            } catch (RocksDBException e) {
                failure = e;
            }
        }
        for (RocksObject option : options.reversed()) {
            option.close();
        }
        return failure;
    }
}
