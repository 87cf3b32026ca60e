// A Java student: a thread per connection, graded with examples/c-echo/java-echo.yaml.
import java.io.*;
import java.net.*;

public class Server {
    public static void main(String[] args) throws IOException {
        ServerSocket server = new ServerSocket(9999);
        while (true) {
            Socket client = server.accept();
            Thread worker = new Thread(new Runnable() {
                public void run() {
                    try {
                        DataInputStream in = new DataInputStream(client.getInputStream());
                        OutputStream out = client.getOutputStream();
                        out.write("Welcome!".getBytes("UTF-8"));
                        byte[] buffer = new byte[1024];
                        while (true) {
                            int count = in.read(buffer);
                            if (count <= 0) break;
                            String text = new String(buffer, 0, count, "UTF-8");
                            if (text.equals("exit")) break;
                            out.write(("Received " + text + ";").getBytes("UTF-8"));
                        }
                        client.close();
                    } catch (IOException e) {
                        System.out.println("client left: " + e.getMessage());
                    }
                }
            });
            worker.start();
        }
    }
}
