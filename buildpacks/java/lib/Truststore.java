// Writes a PKCS12 trust store holding every certificate of a PEM bundle, so Java (Maven) trusts what curl and
// npm trust in the same build (TLS-intercepting proxies included). Run with the source launcher:
// java Truststore.java BUNDLE.pem OUT.p12   (store password "changeit", as the JDK's own cacerts)
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

public class Truststore {
    public static void main(String[] args) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int n = 0;
        try (InputStream in = new FileInputStream(args[0])) {
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, cert);
            }
        }
        try (OutputStream out = new FileOutputStream(args[1])) {
            store.store(out, "changeit".toCharArray());
        }
        System.out.println(n + " certificates");
    }
}
