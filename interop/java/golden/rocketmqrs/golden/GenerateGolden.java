package rocketmqrs.golden;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Writes golden byte vectors produced by the real Java RocketMQ classes of one release.
 *
 * <p>Usage: GenerateGolden VERSION OUT_DIR. Writes OUT_DIR/manifest.json and one file per
 * vector, in the format described in the project's notes (kinds: command, message,
 * messages, batch, msg_id, uniq_id, json, compressed). Values are fixed (opaque, times,
 * hosts) wherever the Java API allows, so most vectors are deterministic.
 *
 * <p>This source is compiled once per release by scripts/fetch-java.sh, which substitutes
 * the package prefixes that moved between 4.x and 5.x (the @...@ tokens).
 */
public final class GenerateGolden {
    static final String VERSION = "@VERSION@";

    private final File dir;
    private final List<Object> vectors = new ArrayList<>();

    private GenerateGolden(File dir) {
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: GenerateGolden VERSION OUT_DIR");
            System.exit(2);
        }
        if (!VERSION.equals(args[0])) {
            System.err.println("compiled for " + VERSION + " but asked for " + args[0]);
            System.exit(2);
        }
        // The Java client sets this at start-up; commands carry it as "version".
        System.setProperty(RemotingCommand.REMOTING_VERSION_KEY, Integer.toString(MQVersion.CURRENT_VERSION));
        File dir = new File(args[1]);
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IOException("cannot create " + dir);
        }
        GenerateGolden g = new GenerateGolden(dir);
        Commands.generate(g);
        Messages.generate(g);
        Bodies.generate(g);
        g.writeManifest();
        System.exit(0);
    }

    /** Records one vector: writes its bytes to NAME.EXT and adds a manifest entry. */
    void add(String name, String kind, String ext, byte[] data, boolean deterministic, Json.Obj meta)
        throws IOException {
        String file = name + "." + ext;
        try (FileOutputStream out = new FileOutputStream(new File(dir, file))) {
            out.write(data);
        }
        vectors.add(Json.obj()
            .put("name", name)
            .put("kind", kind)
            .put("file", file)
            .put("deterministic", deterministic)
            .put("meta", meta));
    }

    private void writeManifest() throws IOException {
        Json.Obj manifest = Json.obj()
            .put("version", VERSION)
            .put("generator", "interop/java/golden (run by scripts/fetch-java.sh --golden)")
            .put("javaVersionCode", MQVersion.CURRENT_VERSION)
            .put("vectors", vectors);
        try (FileOutputStream out = new FileOutputStream(new File(dir, "manifest.json"))) {
            out.write(Json.write(manifest).getBytes(StandardCharsets.UTF_8));
        }
    }
}
