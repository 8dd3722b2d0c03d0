package io.evento.tck.domain;

import java.util.List;

/**
 * A structured custom metadata entry, to check that typed values survive a round trip.
 *
 * @param channel where the request came from
 * @param attempt how many times it was tried
 * @param tags free-form labels
 */
public record Origin(String channel, int attempt, List<String> tags) {}
