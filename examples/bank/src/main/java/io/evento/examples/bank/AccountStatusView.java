package io.evento.examples.bank;

import io.evento.Projection;
import io.evento.examples.bank.Account.AccountClosed;
import io.evento.examples.bank.Account.AccountFrozen;
import io.evento.examples.bank.Account.AccountOpened;
import io.evento.examples.bank.Account.AccountUnfrozen;

/**
 * An account's status and why it last changed. Only four events matter; without the safety check
 * the others are simply not handled, which is fine for a view that does not care about money.
 *
 * @param status active, frozen or closed
 * @param reason the reason given for the last freeze, unfreeze or close; empty before any
 */
public record AccountStatusView(AccountStatus status, String reason) {

    /** Folds an account's events into its status. */
    public static final Projection<AccountStatusView> PROJECTION = Projection.builder(
                    "bank-account-status", Account.class, () -> new AccountStatusView(AccountStatus.ACTIVE, ""))
            .on(AccountOpened.class, (s, e) -> new AccountStatusView(AccountStatus.ACTIVE, ""))
            .on(
                    AccountFrozen.class,
                    (s, e) ->
                            new AccountStatusView(AccountStatus.FROZEN, e.data().reason()))
            .on(
                    AccountUnfrozen.class,
                    (s, e) ->
                            new AccountStatusView(AccountStatus.ACTIVE, e.data().reason()))
            .on(
                    AccountClosed.class,
                    (s, e) ->
                            new AccountStatusView(AccountStatus.CLOSED, e.data().reason()))
            .build();

    @Override
    public String toString() {
        return reason.isEmpty() ? status.toString() : status + " (" + reason + ")";
    }
}
