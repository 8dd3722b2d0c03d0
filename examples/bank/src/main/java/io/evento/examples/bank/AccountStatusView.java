package io.evento.examples.bank;

import io.evento.Event;
import io.evento.Handle;
import io.evento.Handlers;
import io.evento.Projection;
import io.evento.examples.bank.Account.AccountClosed;
import io.evento.examples.bank.Account.AccountFrozen;
import io.evento.examples.bank.Account.AccountOpened;
import io.evento.examples.bank.Account.AccountUnfrozen;

/**
 * An account's status and why it last changed. Only four events matter; without the safety check
 * the others are simply not handled, which is fine for a view that does not care about money.
 *
 * <p>The handlers are the {@link Handle} methods of {@link Fold}; the {@code evento-processor}
 * annotation processor generates {@code AccountStatusViewFoldRegistration}, which registers them
 * with the builder, and rejects a wrong signature or an event of another family at compile time.
 *
 * @param status active, frozen or closed
 * @param reason the reason given for the last freeze, unfreeze or close; empty before any
 */
public record AccountStatusView(AccountStatus status, String reason) {

    /** Folds an account's events into its status. */
    public static final Projection<AccountStatusView> PROJECTION = AccountStatusViewFoldRegistration.register(
                    Projection.builder(
                            "bank-account-status",
                            Account.class,
                            () -> new AccountStatusView(AccountStatus.ACTIVE, "")),
                    new Fold())
            .build();

    @Override
    public String toString() {
        return reason.isEmpty() ? status.toString() : status + " (" + reason + ")";
    }

    /** One handler per event that changes the status. */
    @Handlers(Account.class)
    static final class Fold {
        @Handle
        AccountStatusView opened(AccountStatusView view, Event<AccountOpened> event) {
            return new AccountStatusView(AccountStatus.ACTIVE, "");
        }

        @Handle
        AccountStatusView frozen(AccountStatusView view, Event<AccountFrozen> event) {
            return new AccountStatusView(AccountStatus.FROZEN, event.data().reason());
        }

        @Handle
        AccountStatusView unfrozen(AccountStatusView view, Event<AccountUnfrozen> event) {
            return new AccountStatusView(AccountStatus.ACTIVE, event.data().reason());
        }

        @Handle
        AccountStatusView closed(AccountStatusView view, Event<AccountClosed> event) {
            return new AccountStatusView(AccountStatus.CLOSED, event.data().reason());
        }
    }
}
