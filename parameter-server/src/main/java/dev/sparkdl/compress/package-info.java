/**
 * Gradient compression with residual (error) feedback. A {@link dev.sparkdl.compress.GradientCodec}
 * encodes a dense range of a residual vector into a chunk payload and subtracts from the residual
 * exactly what it encoded, so nothing pushed is ever lost: what was sent plus what remains equals
 * what was pushed. Decoders validate a payload completely before adding it anywhere.
 */
package dev.sparkdl.compress;
