/** The end-to-end demo that README command 1 runs. */
package dev.sparkdl.demo;
