/**
 * Not API: the machinery Evento's modules share (cursors, validation, page assembly, builder
 * checks, the JSON codec, event type registry, commit signals). Exported only to Evento's own
 * executor modules; everything here may change or disappear without notice, in any release.
 */
package io.evento.internal;
