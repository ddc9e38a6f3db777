package rocketmqrs.tools;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Signs one request with the real Java ACL hook (AclClientRPCHook) and prints the ext fields it
 * ends with, one "key=value" line each in key order, values hex-encoded (UTF-8).
 *
 * <p>Arguments: code accessKeyHex secretKeyHex tokenHex|- bodyHex|- [keyHex=valueHex ...]. Every
 * text travels hex-encoded so non-ASCII keys and values do not depend on the platform charset.
 */
public final class AclSignature {
    private AclSignature() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: AclSignature code akHex skHex tokenHex|- bodyHex|- [kHex=vHex ...]");
            System.exit(2);
        }
        RemotingCommand request = RemotingCommand.createRequestCommand(Integer.parseInt(args[0]), null);
        for (int i = 5; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            request.addExtField(text(args[i].substring(0, eq)), text(args[i].substring(eq + 1)));
        }
        if (!"-".equals(args[4])) {
            request.setBody(bytes(args[4]));
        }
        SessionCredentials credentials = "-".equals(args[3])
            ? new SessionCredentials(text(args[1]), text(args[2]))
            : new SessionCredentials(text(args[1]), text(args[2]), text(args[3]));
        new AclClientRPCHook(credentials).doBeforeRequest("127.0.0.1:10911", request);
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(request.getExtFields()).entrySet()) {
            out.append(hex(e.getKey())).append('=').append(hex(e.getValue())).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    private static String text(String hex) {
        return new String(bytes(hex), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static String hex(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }
}
