/** The {@code spark-submit} entry point of the assembly jar. */
package dev.sparkdl.submit;
