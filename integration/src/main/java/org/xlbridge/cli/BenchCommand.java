package org.xlbridge.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code xlbridge bench [JMH options]}: runs the JMH benchmarks packaged in this jar. */
@Command(name = "bench", mixinStandardHelpOptions = false,
        description = "Runs the JMH benchmarks in this jar; every argument is passed to JMH (try: bench -h, bench -l).")
public final class BenchCommand implements Callable<Integer> {
    @Unmatched
    String[] jmhArgs = new String[0];

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(jmhArgs);
        return 0;
    }
}
