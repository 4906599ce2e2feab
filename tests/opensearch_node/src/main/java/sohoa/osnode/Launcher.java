package sohoa.osnode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.TransportService;

/**
 * Starts one real OpenSearch node in this JVM, for the test suite.
 *
 * <p>OpenSearch's distribution starts a node through its Bootstrap class, which also installs the
 * security manager, loads JNA natives, checks for jar hell and runs the production bootstrap
 * checks, and then loads modules and plugins from directories of unpacked zips. None of that is
 * available from Maven Central jars, so this launcher does what OpenSearch's own test framework
 * (MockNode) does: it subclasses {@link Node} to hand it the plugin classes that are already on
 * the classpath. Bootstrap checks are not run (the protected validation hook is left empty), the
 * node only ever binds to loopback.
 *
 * <p>Options (each may also come from the environment variable in brackets; an option wins):
 * <pre>
 *   --home DIR                     [OSNODE_HOME]  path.home; data in DIR/data, logs in DIR/logs
 *   --cluster-name NAME            [OSNODE_CLUSTER_NAME]   default "sohoa-test"
 *   --node-name NAME               [OSNODE_NODE_NAME]      default "node-0"
 *   --http-port PORT               [OSNODE_HTTP_PORT]      default 9200
 *   --transport-port PORT          [OSNODE_TRANSPORT_PORT] default 9300
 *   --seed-hosts H:P,H:P           [OSNODE_SEED_HOSTS]     absent: discovery.type=single-node
 *   --initial-cluster-manager-nodes A,B,C  [OSNODE_INITIAL_CLUSTER_MANAGER_NODES]
 *   --plugins NAME,NAME            [OSNODE_PLUGINS] default: all of PLUGIN_CLASSES
 *   --setting KEY=VALUE            any further node setting (repeatable)
 * </pre>
 * Once the node serves HTTP it prints one line to standard output:
 * {@code osnode ready node=NAME http=127.0.0.1:PORT transport=127.0.0.1:PORT}. SIGTERM (or
 * SIGINT) closes the node cleanly; the log goes to DIR/logs/NAME.log.
 */
public final class Launcher {

    /**
     * The modules a sohoa deployment relies on, by the name OpenSearch's distribution gives them,
     * as classes on this JVM's classpath. {@code --plugins} picks some of them (default: all).
     */
    static final Map<String, String> PLUGIN_CLASSES = orderedMap(
        "transport-netty4", "org.opensearch.transport.Netty4Plugin",           // HTTP + transport
        "analysis-common", "org.opensearch.analysis.common.CommonAnalysisPlugin", // asciifolding etc.
        "lang-painless", "org.opensearch.painless.PainlessPlugin",
        "reindex", "org.opensearch.index.reindex.ReindexPlugin",               // _delete_by_query, _reindex
        "mapper-extras", "org.opensearch.index.mapper.MapperExtrasPlugin",     // scaled_float, token_count...
        "analysis-icu", "org.opensearch.plugin.analysis.icu.AnalysisICUPlugin" // not a module: a plugin
    );

    private static Map<String, String> orderedMap(String... pairs) {
        final Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    /** A Node that takes its plugins as classes, as OpenSearch's test framework's MockNode does. */
    static final class ClasspathPluginsNode extends Node {
        ClasspathPluginsNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        // Log4j would redirect System.out to the log once configured: keep the real one.
        final PrintStream console = new PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        final Map<String, String> opts = parse(args);

        final Path home = Paths.get(require(opts, "home")).toAbsolutePath();
        final String clusterName = opts.getOrDefault("cluster-name", "sohoa-test");
        final String nodeName = opts.getOrDefault("node-name", "node-0");
        final Path config = home.resolve("config");
        for (String dir : new String[] {"config", "data", "logs", "plugins", "modules"}) {
            Files.createDirectories(home.resolve(dir));
        }
        writeLogConfig(config.resolve("log4j2.properties"));

        final Settings.Builder settings = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", nodeName)
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", opts.getOrDefault("http-port", "9200"))
            .put("transport.port", opts.getOrDefault("transport-port", "9300"))
            // a test machine's disk may be fuller than the production watermarks allow
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        final String seeds = opts.get("seed-hosts");
        if (seeds == null || seeds.isBlank()) {
            settings.put("discovery.type", "single-node");
        } else {
            settings.putList("discovery.seed_hosts", split(seeds));
            final String managers = opts.get("initial-cluster-manager-nodes");
            if (managers != null && !managers.isBlank()) {
                settings.putList("cluster.initial_cluster_manager_nodes", split(managers));
            }
        }
        for (Map.Entry<String, String> e : extraSettings(args).entrySet()) {
            settings.put(e.getKey(), e.getValue());
        }

        final Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings.build(), Collections.emptyMap(), config, () -> nodeName);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment);

        final List<Class<? extends Plugin>> plugins = new ArrayList<>();
        final String wanted = opts.get("plugins");
        for (String name : wanted == null ? new ArrayList<>(PLUGIN_CLASSES.keySet()) : split(wanted)) {
            final String className = PLUGIN_CLASSES.get(name);
            if (className == null) {
                throw usage("unknown plugin: " + name + " (known: " + PLUGIN_CLASSES.keySet() + ")");
            }
            plugins.add(Class.forName(className).asSubclass(Plugin.class));
        }

        final Node node = new ClasspathPluginsNode(environment, plugins);
        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    console.println("osnode close timed out node=" + nodeName);
                }
                console.println("osnode stopped node=" + nodeName);
            } catch (Exception e) {
                console.println("osnode close failed node=" + nodeName + ": " + e);
            } finally {
                closed.countDown();
                // -Dlog4j.shutdownHookEnabled=false keeps logging alive until the node closed
                Configurator.shutdown((LoggerContext) LogManager.getContext(false));
            }
        }, "osnode-shutdown"));

        try {
            node.start();
        } catch (Exception e) {
            LogManager.getLogger(Launcher.class).error("node failed to start", e);
            console.println("osnode failed node=" + nodeName + ": " + e);
            System.exit(1);
        }
        final String http = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress().toString();
        final String transport = node.injector().getInstance(TransportService.class)
            .boundAddress().publishAddress().toString();
        console.printf(Locale.ROOT, "osnode ready node=%s http=%s transport=%s pid=%d%n",
            nodeName, http, transport, ProcessHandle.current().pid());

        // The node's threads keep the JVM up; this one just waits for the shutdown hook.
        closed.await();
    }

    private static void writeLogConfig(Path file) throws IOException {
        final String text = String.join("\n",
            "status = error",
            "appender.file.type = File",
            "appender.file.name = file",
            "appender.file.append = true",
            "appender.file.fileName = ${sys:opensearch.logs.base_path}${sys:file.separator}"
                + "${sys:opensearch.logs.node_name}.log",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.file.ref = file",
            "logger.deprecation.name = org.opensearch.deprecation",
            "logger.deprecation.level = error",
            "");
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static final List<String> KNOWN = List.of(
        "home", "cluster-name", "node-name", "http-port", "transport-port", "seed-hosts",
        "initial-cluster-manager-nodes", "plugins");

    /** Options from the environment, then from the command line (which wins). */
    private static Map<String, String> parse(String[] args) {
        final Map<String, String> opts = new LinkedHashMap<>();
        for (String key : KNOWN) {
            final String env = System.getenv("OSNODE_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
            if (env != null && !env.isEmpty()) {
                opts.put(key, env);
            }
        }
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw usage("bad argument: " + arg);
            }
            final String key = arg.substring(2);
            final String value = args[++i];
            if (key.equals("setting")) {
                continue; // see extraSettings
            }
            if (!KNOWN.contains(key)) {
                throw usage("unknown option: " + arg);
            }
            opts.put(key, value);
        }
        return opts;
    }

    private static Map<String, String> extraSettings(String[] args) {
        final Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--setting")) {
                final int eq = args[i + 1].indexOf('=');
                if (eq <= 0) {
                    throw usage("--setting takes KEY=VALUE, got: " + args[i + 1]);
                }
                extra.put(args[i + 1].substring(0, eq), args[i + 1].substring(eq + 1));
            }
        }
        return extra;
    }

    private static String require(Map<String, String> opts, String key) {
        final String value = opts.get(key);
        if (value == null) {
            throw usage("missing --" + key);
        }
        return value;
    }

    private static List<String> split(String csv) {
        final List<String> out = new ArrayList<>();
        for (String part : Arrays.asList(csv.split(","))) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static IllegalArgumentException usage(String message) {
        return new IllegalArgumentException(message + " (see the Launcher class comment for the options)");
    }
}
