package org.xlbridge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before a run starts, that the files and directories it will write at its end can be written: a
 * 30-minute run must not end with its report lost to a typo in {@code --json}.
 */
final class OutputPaths {
    private OutputPaths() {
    }

    /**
     * A file the run will create or replace.
     *
     * @throws IllegalArgumentException naming the option and the path, when the file cannot be written
     */
    static void checkFile(String option, Path file) {
        if (file == null) {
            return;
        }
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException(option + " " + file + ": is a directory");
        }
        if (Files.exists(abs)) {
            if (!Files.isWritable(abs)) {
                throw new IllegalArgumentException(option + " " + file + ": not writable");
            }
            return;
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + file + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException(option + " " + file + ": directory " + dir + " is not writable");
        }
    }

    /**
     * A directory the run will create (with its parents) if needed and write files into; created now.
     *
     * @throws IllegalArgumentException naming the option and the path, when it cannot be created or written
     */
    static void checkDirectory(String option, Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(option + " " + dir + ": cannot create the directory (" + e + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException(option + " " + dir + ": directory is not writable");
        }
    }
}
