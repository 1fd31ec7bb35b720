/**
 * Wire codecs of the collectives: flyweights over Agrona {@link org.agrona.DirectBuffer}s, no allocation
 * and no Java serialization. Every message starts with the {@link dev.sparkdl.codec.MessageHeader}
 * (type, version, sender rank); every decoder checks the length and the type before reading a field.
 * All fields are little-endian.
 */
package dev.sparkdl.codec;
