package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.mysql.Sequencer.Row;
import io.evento.mysql.Sequencer.Stop;
import io.evento.mysql.Sequencer.Walk;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How far a pass may raise the horizon over the rows it scanned: never past a gap, never into a commit. */
class SequencerWalkTest {
    @Test
    void rows_that_follow_the_horizon_without_a_gap_are_all_passed() {
        List<Row> rows = List.of(row(11, "a", 1, 1), row(12, "b", 1, 2), row(13, "b", 2, 2));

        assertThat(Sequencer.walk(10, rows, false)).isEqualTo(new Walk(13, Stop.END, 0, 0));
    }

    @Test
    void a_gap_stops_the_walk_and_names_the_missing_positions() {
        List<Row> rows = List.of(row(11, "a", 1, 1), row(12, "b", 1, 1), row(15, "c", 1, 1), row(16, "d", 1, 1));

        assertThat(Sequencer.walk(10, rows, false)).isEqualTo(new Walk(12, Stop.GAP, 13, 14));
    }

    @Test
    void a_gap_right_after_the_horizon_leaves_it_where_it_is() {
        List<Row> rows = List.of(row(12, "a", 1, 1));

        assertThat(Sequencer.walk(10, rows, false)).isEqualTo(new Walk(10, Stop.GAP, 11, 11));
    }

    @Test
    void the_horizon_stops_before_a_commit_that_a_gap_cuts_in_two() {
        // "big" took 12-13 with its first statement and 16 with its second; 14-15 are in flight.
        List<Row> rows = List.of(row(11, "a", 1, 1), row(12, "big", 1, 3), row(13, "big", 2, 3), row(16, "big", 3, 3));

        assertThat(Sequencer.walk(10, rows, false)).isEqualTo(new Walk(11, Stop.GAP, 14, 15));
    }

    @Test
    void the_horizon_ends_only_where_no_commit_is_open() {
        // Commits of "b" interleaved with single events of "a", as statements of two writers.
        List<Row> rows = List.of(
                row(1, "b", 1, 3),
                row(2, "a", 1, 1),
                row(3, "b", 2, 3),
                row(4, "b", 3, 3),
                row(5, "a", 2, 2),
                row(6, "b", 4, 5));

        assertThat(Sequencer.walk(0, rows, true)).isEqualTo(new Walk(5, Stop.END, 0, 0));
        assertThat(Sequencer.walk(0, rows.subList(0, 3), true)).isEqualTo(new Walk(0, Stop.END, 0, 0));
    }

    @Test
    void a_placeholder_of_a_burnt_position_is_a_row_like_any_other() {
        List<Row> rows = List.of(row(11, "a", 1, 1), new Row(12, "", "12", 0, 0), row(13, "b", 1, 1));

        assertThat(Sequencer.walk(10, rows, false)).isEqualTo(new Walk(13, Stop.END, 0, 0));
    }

    @Test
    void a_complete_scan_that_ends_inside_a_commit_is_a_broken_invariant() {
        assertThatThrownBy(() -> Sequencer.walk(0, List.of(row(1, "a", 1, 2)), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a commit");
    }

    private static Row row(long position, String id, int version, int commitEnd) {
        return new Row(position, "t", id, version, commitEnd);
    }
}
