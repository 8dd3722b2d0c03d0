package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.mysql.Sequencer.Row;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a pass cuts its rows into statements: never inside a commit. */
class SequencerChunksTest {
    @Test
    void a_scan_that_saw_everything_is_one_chunk_when_small() {
        List<Row> rows = List.of(row(1, "a", 1, 1), row(2, "b", 1, 2), row(3, "b", 2, 2));

        assertThat(Sequencer.chunks(rows, false)).containsExactly(rows);
    }

    @Test
    void chunks_end_only_where_no_commit_is_open() {
        List<Row> rows = new ArrayList<>();
        long seq = 1;
        // Commits of 3 events of "big", interleaved with single events of "small".
        for (int c = 0; c < Sequencer.CHUNK_SIZE; c++) {
            rows.add(row(seq++, "big", 3 * c + 1, 3 * c + 3));
            rows.add(row(seq++, "small", c + 1, c + 1));
            rows.add(row(seq++, "big", 3 * c + 2, 3 * c + 3));
            rows.add(row(seq++, "big", 3 * c + 3, 3 * c + 3));
        }

        List<List<Row>> chunks = Sequencer.chunks(rows, false);

        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(chunks.stream().mapToInt(List::size).sum()).isEqualTo(rows.size());
        for (List<Row> chunk : chunks) {
            Row last = chunk.getLast();
            assertThat(last.version())
                    .as("a chunk ends with the end of a commit")
                    .isEqualTo(last.commitEnd());
            assertThat(chunk.size()).isGreaterThanOrEqualTo(Math.min(Sequencer.CHUNK_SIZE, chunk.size()));
        }
        assertThat(chunks.stream().flatMap(List::stream).toList()).isEqualTo(rows);
    }

    @Test
    void a_truncated_scan_leaves_the_open_commits_at_its_end_for_the_next_pass() {
        List<Row> rows =
                List.of(row(1, "a", 1, 1), row(2, "b", 1, 3), row(3, "c", 1, 1), row(4, "b", 2, 3), row(5, "d", 1, 2));

        assertThat(Sequencer.chunks(rows, true)).containsExactly(List.of(rows.get(0)));
    }

    @Test
    void a_truncated_scan_without_a_single_safe_cut_gives_nothing_so_the_pass_completes_the_commits() {
        List<Row> rows = List.of(row(1, "a", 1, 2), row(2, "b", 1, 1), row(3, "c", 5, 9));

        assertThat(Sequencer.chunks(rows, true)).isEmpty();
    }

    @Test
    void a_complete_scan_that_ends_inside_a_commit_is_a_broken_invariant() {
        assertThatThrownBy(() -> Sequencer.chunks(List.of(row(1, "a", 1, 2)), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a commit");
    }

    @Test
    void consecutive_seqs_form_runs_so_one_statement_names_thousands_of_rows_by_a_few_ranges() {
        List<Row> rows = new ArrayList<>();
        for (long seq : new long[] {3, 4, 5, 9, 11, 12}) {
            rows.add(row(seq, "a", 1, 1));
        }

        assertThat(Sequencer.runs(rows)).containsExactly(new long[] {3, 5}, new long[] {9, 9}, new long[] {11, 12});
        assertThat(Sequencer.assignSql(3))
                .contains("e.seq BETWEEN ? AND ? OR e.seq BETWEEN ? AND ? OR e.seq BETWEEN ? AND ?")
                .contains("s.next_position = ? AND e.position = 0");
    }

    private static Row row(long seq, String id, int version, int commitEnd) {
        return new Row(seq, "t", id, version, commitEnd);
    }
}
