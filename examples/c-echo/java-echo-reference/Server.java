// Threaded TCP echo server in Java: the reference of examples/c-echo/java-echo.yaml.
// "Welcome!" to each connection, then "Received <data>;" for every message until "exit".
// Run: java Server [--port 9999]
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

public class Server {
    public static void main(String[] args) throws Exception {
        int port = 9999;
        for (int i = 0; i + 1 < args.length; i++)
            if (args[i].equals("--port"))
                port = Integer.parseInt(args[i + 1]);
        ServerSocket listener = new ServerSocket(port, 16, InetAddress.getByName("127.0.0.1"));
        System.out.println("Waiting for connection...");
        while (true) {
            Socket connection = listener.accept();
            new Thread(() -> serve(connection)).start();
        }
    }

    static void serve(Socket connection) {
        try (connection) {
            InputStream in = connection.getInputStream();
            OutputStream out = connection.getOutputStream();
            out.write("Welcome!".getBytes(StandardCharsets.UTF_8));
            byte[] data = new byte[1024];
            int n;
            while ((n = in.read(data)) > 0) {
                byte[] message = Arrays.copyOf(data, n);
                if (new String(message, StandardCharsets.UTF_8).equals("exit"))
                    break;
                byte[] head = "Received ".getBytes(StandardCharsets.UTF_8);
                byte[] reply = Arrays.copyOf(head, head.length + n + 1);    // one write, one reply
                System.arraycopy(message, 0, reply, head.length, n);
                reply[reply.length - 1] = ';';
                out.write(reply);
            }
        } catch (Exception e) {
            // the client went away
        }
    }
}
