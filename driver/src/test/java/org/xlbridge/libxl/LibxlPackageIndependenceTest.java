package org.xlbridge.libxl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library side knows nothing of the loop, as libxl knows nothing of libvirt: no compiled class of
 * org.xlbridge.libxl may refer to org.xlbridge.eventloop or org.xlbridge.driver. Checked on the class files'
 * constant pools, which hold every class, field, method and descriptor a class refers to.
 */
class LibxlPackageIndependenceTest {
    private static final List<String> FORBIDDEN = List.of(
            "org/xlbridge/eventloop", "org.xlbridge.eventloop", "org/xlbridge/driver", "org.xlbridge.driver");

    @Test
    void noLibxlClassRefersToTheLoopOrTheBridge() throws IOException, URISyntaxException {
        Path classes = Path.of(LibxlContext.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = classes.resolve("org/xlbridge/libxl");
        List<Path> classFiles;
        try (Stream<Path> files = Files.list(pkg)) {
            classFiles = files.filter(f -> f.toString().endsWith(".class")).sorted().toList();
        }
        assertThat(classFiles).as("scanned the main classes, not an empty directory")
                .extracting(f -> f.getFileName().toString())
                .contains("LibxlContext.class", "TimeEvent.class", "FdEvent.class", "TimeoutToken.class",
                        "OsEventHooks.class", "NexusPool.class", "PollRequest.class");

        List<String> offences = new ArrayList<>();
        for (Path f : classFiles) {
            for (String s : forbiddenReferences(Files.readAllBytes(f))) {
                offences.add(f.getFileName() + " -> " + s);
            }
        }
        assertThat(offences).isEmpty();
    }

    @Test
    void theScannerFindsSuchAReference() throws IOException {
        // EventLoop's own class file names its package: the scanner must see it, or the test above proves nothing.
        try (InputStream in = getClass().getResourceAsStream("/org/xlbridge/eventloop/EventLoop.class")) {
            assertThat(in).as("the eventloop artifact is on the test class path").isNotNull();
            assertThat(forbiddenReferences(in.readAllBytes())).isNotEmpty();
        }
        try (InputStream in = getClass().getResourceAsStream("/org/xlbridge/posix/Posix.class")) {
            assertThat(forbiddenReferences(in.readAllBytes())).as("the neutral POSIX binding is allowed").isEmpty();
        }
    }

    /** The CONSTANT_Utf8 entries of a class file that mention a forbidden package. */
    static List<String> forbiddenReferences(byte[] classFile) throws IOException {
        List<String> hits = new ArrayList<>();
        for (String utf8 : utf8Constants(classFile)) {
            for (String f : FORBIDDEN) {
                if (utf8.contains(f)) {
                    hits.add(utf8);
                    break;
                }
            }
        }
        return hits;
    }

    /** Parses the constant pool (JVMS 4.4) and returns its CONSTANT_Utf8 strings. */
    static List<String> utf8Constants(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        int count = in.readUnsignedShort();
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> { // Utf8 (modified UTF-8; plain ASCII for the names we look for)
                    byte[] b = new byte[in.readUnsignedShort()];
                    in.readFully(b);
                    out.add(new String(b, StandardCharsets.UTF_8));
                }
                case 3, 4 -> in.skipBytes(4); // Integer, Float
                case 5, 6 -> { // Long, Double take two slots
                    in.skipBytes(8);
                    i++;
                }
                case 7, 8, 16, 19, 20 -> in.skipBytes(2); // Class, String, MethodType, Module, Package
                case 9, 10, 11, 12, 17, 18 -> in.skipBytes(4); // refs, NameAndType, Dynamic, InvokeDynamic
                case 15 -> in.skipBytes(3); // MethodHandle
                default -> throw new IOException("unknown constant pool tag " + tag + " at " + i);
            }
        }
        return out;
    }
}
