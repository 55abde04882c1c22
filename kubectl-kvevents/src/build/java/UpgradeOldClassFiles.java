import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * Build step: rewrites the shaded jar's pre-Java-6 class files (picocli ships Java 5 bytecode) as Java 8
 * class files with stack map frames computed by ASM. The JVM's class-data sharing refuses older class
 * files ("Pre JDK 6 class not supported by CDS") and, for Java 6 files without frames, skips them too
 * ("failed over class verification"), so without this every start loads and verifies ~230 picocli
 * classes from the jar. The bytecode itself is unchanged.
 *
 * <p>Usage: {@code UpgradeOldClassFiles JAR}: the jar is rewritten in place.
 */
public final class UpgradeOldClassFiles {
    private static final int JAVA_6 = 50;

    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        Path upgraded = jar.resolveSibling(jar.getFileName() + ".upgraded");
        int count = 0;
        // frames need the common superclass of two types: resolved against the jar's own classes
        try (URLClassLoader classes = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(upgraded))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                byte[] data = in.readAllBytes();
                if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/") && majorVersion(data) < JAVA_6) {
                    data = upgrade(data, classes);
                    count++;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                out.write(data);
                out.closeEntry();
            }
        }
        Files.move(upgraded, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("upgraded " + count + " pre-Java-6 class files in " + jar.getFileName() + " for class-data sharing");
    }

    private static int majorVersion(byte[] classFile) {
        return classFile.length < 8 ? Integer.MAX_VALUE : ((classFile[6] & 0xFF) << 8) | (classFile[7] & 0xFF);
    }

    private static byte[] upgrade(byte[] classFile, ClassLoader classes) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return classes;
            }
        };
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
