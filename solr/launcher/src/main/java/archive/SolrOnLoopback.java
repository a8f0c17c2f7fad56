package archive;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.cloud.ZkTestServer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * SolrCloud on loopback, one process per part, so that a test can kill one Solr node and
 * leave the rest running.
 *
 * <pre>
 *   zk DIR PORT            ZooKeeper (Solr's own test server) with the /solr root
 *   node HOME PORT ZKHOST  one Solr node of the cloud, its cores under HOME
 * </pre>
 *
 * Each prints one line ("zk HOST:PORT/solr", "node http://127.0.0.1:PORT/solr") once it
 * serves, and runs until it is stopped.
 */
public final class SolrOnLoopback {
  private SolrOnLoopback() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("zk")) {
      zookeeper(Path.of(args[1]), Integer.parseInt(args[2]));
    } else if (args.length == 4 && args[0].equals("node")) {
      node(Path.of(args[1]), Integer.parseInt(args[2]), args[3]);
    } else {
      System.err.println("usage: zk DIR PORT | node HOME PORT ZKHOST");
      System.exit(2);
    }
  }

  private static void zookeeper(Path dir, int port) throws Exception {
    Files.createDirectories(dir);
    ZkTestServer zk = new ZkTestServer(dir, port);
    zk.run(false);
    zk.ensurePathExists("/solr");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> quietly(zk::shutdown)));
    System.out.println("zk " + zk.getZkAddress());
    System.out.flush();
    Thread.currentThread().join();
  }

  private static void node(Path home, int port, String zkHost) throws Exception {
    Files.createDirectories(home);
    Files.writeString(home.resolve("solr.xml"), MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML);
    System.setProperty("zkHost", zkHost);
    Properties properties = new Properties();
    properties.setProperty("hostPort", Integer.toString(port));
    JettyConfig config = JettyConfig.builder().setPort(port).build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), properties, config);
    runner.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> quietly(runner::stop)));
    System.out.println("node " + runner.getBaseUrl());
    System.out.flush();
    Thread.currentThread().join();
  }

  private interface Action {
    void run() throws Exception;
  }

  private static void quietly(Action action) {
    try {
      action.run();
    } catch (Exception e) {
      System.err.println("while stopping: " + e);
    }
  }
}
