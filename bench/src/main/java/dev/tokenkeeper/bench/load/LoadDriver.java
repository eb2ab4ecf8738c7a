package dev.tokenkeeper.bench.load;

import dev.tokenkeeper.bench.report.Samples;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A closed-loop HTTP/1.1 load driver on loopback: {@code connections} keep-alive sockets, each on
 * its own thread sending one GET, reading the whole answer, and sending the next, for a fixed time.
 * Bounded in connections and time; records every latency.
 */
public final class LoadDriver {

    /**
     * What one run measured.
     *
     * @param requests  answered with 200
     * @param errors    other answers or broken connections
     * @param seconds   how long the run lasted
     * @param latencies every 200 answer's latency in nanoseconds, sorted
     */
    public record Result(long requests, long errors, double seconds, long[] latencies) {
        /** @return requests per second */
        public double perSecond() {
            return requests / seconds;
        }

        /**
         * @param fraction 0.5, 0.99
         * @return that latency percentile in milliseconds
         */
        public double millis(double fraction) {
            return Samples.percentile(latencies, fraction) / 1e6;
        }
    }

    private LoadDriver() {
    }

    /**
     * @param port        the server's loopback port
     * @param path        the path to GET
     * @param headers     extra header lines, e.g. {@code Authorization: Bearer x}
     * @param connections concurrent connections
     * @param duration    how long
     * @return the result
     * @throws InterruptedException when interrupted
     */
    public static Result run(int port, String path, List<String> headers, int connections, Duration duration)
            throws InterruptedException {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
                .append("\r\n");
        headers.forEach(h -> request.append(h).append("\r\n"));
        request.append("\r\n");
        byte[] bytes = request.toString().getBytes(StandardCharsets.US_ASCII);
        long deadline = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        long[][] perThread = new long[connections][];
        int[] counts = new int[connections];
        long[] errors = new long[connections];
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            int me = c;
            Thread thread = new Thread(() -> {
                long[] lat = new long[4096];
                int n = 0;
                while (System.nanoTime() < deadline) {
                    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout(10_000);
                        OutputStream out = socket.getOutputStream();
                        InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
                        while (System.nanoTime() < deadline) {
                            long t0 = System.nanoTime();
                            out.write(bytes);
                            out.flush();
                            int status = readResponse(in);
                            long took = System.nanoTime() - t0;
                            if (status == 200) {
                                if (n == lat.length) {
                                    lat = Arrays.copyOf(lat, n * 2);
                                }
                                lat[n++] = took;
                            } else {
                                errors[me]++;
                            }
                        }
                    } catch (IOException e) {
                        errors[me]++;
                    }
                }
                perThread[me] = lat;
                counts[me] = n;
            }, "load-" + c);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int c = 0; c < connections; c++) {
            System.arraycopy(perThread[c], 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        return new Result(total, Arrays.stream(errors).sum(), seconds, all);
    }

    /** Reads one response (status line, headers, Content-Length or chunked body) and returns its status. */
    static int readResponse(InputStream in) throws IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim();
            String value = header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16); size > 0;
                 size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
                skip(in, size);
                line(in);
            }
            line(in);
        } else if (length > 0) {
            skip(in, length);
        }
        return status;
    }

    private static void skip(InputStream in, long count) throws IOException {
        for (long left = count; left > 0; ) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed inside a body");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }
}
