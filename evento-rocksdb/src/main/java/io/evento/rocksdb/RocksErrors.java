package io.evento.rocksdb;

import io.evento.StoreException;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/**
 * The one place where RocksDB errors are classified, by their {@link Status.Code} and never by
 * message text.
 *
 * <p>Transient (a retry later may succeed): {@code Busy}, {@code TryAgain}, {@code TimedOut} and
 * {@code Incomplete} (contention or a write stall), {@code Aborted} (a memory limit), and {@code
 * IOError} (a full disk, a failing device, a directory locked by another process). Everything else
 * — corruption, an invalid argument, an unsupported option, a shutdown in progress — is permanent.
 */
final class RocksErrors {
    private RocksErrors() {}

    /** Whether an operation that failed with this status code may succeed when retried later. */
    static boolean isTransient(Status.Code code) {
        if (code == null) {
            return false;
        }
        return switch (code) {
            case Busy, TryAgain, TimedOut, Incomplete, Aborted, IOError -> true;
            case Ok,
                    NotFound,
                    Corruption,
                    NotSupported,
                    InvalidArgument,
                    MergeInProgress,
                    ShutdownInProgress,
                    Expired,
                    Undefined -> false;
        };
    }

    /** The status code of an exception, or {@code null} when RocksDB gave none. */
    static Status.Code code(RocksDBException e) {
        Status status = e.getStatus();
        return status == null ? null : status.getCode();
    }

    /** The {@link StoreException} for a failed operation, transient where the status code says so. */
    static StoreException failure(String operation, RocksDBException e) {
        Status.Code code = code(e);
        return new StoreException(
                operation + " failed: " + (code == null ? "" : code + ": ") + e.getMessage(), e, isTransient(code));
    }
}
