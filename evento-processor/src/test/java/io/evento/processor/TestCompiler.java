package io.evento.processor;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.annotation.processing.Processor;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * Compiles sample sources in memory with the processor, against the test class path (which holds
 * evento-core), and loads the result.
 */
final class TestCompiler {
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern TYPE = Pattern.compile(
            "^(?:public\\s+|final\\s+|sealed\\s+|abstract\\s+)*(?:class|interface|record|enum)\\s+(\\w+)",
            Pattern.MULTILINE);

    private final List<String> sources = new ArrayList<>();
    private final List<String> options = new ArrayList<>(List.of("--release", "21", "-Xlint:all,-processing"));
    private final List<Processor> processors = new ArrayList<>(List.of(new HandlersProcessor()));
    private boolean discover;
    private String modulePath;

    static TestCompiler of(String... sources) {
        TestCompiler c = new TestCompiler();
        c.sources.addAll(List.of(sources));
        return c;
    }

    /** Adds compiler options. */
    TestCompiler options(String... more) {
        options.addAll(List.of(more));
        return this;
    }

    /** Compiles the sources as a named module (one of them a module-info) on this module path. */
    TestCompiler modulePath(String path) {
        modulePath = path;
        return this;
    }

    /** Runs another processor too, before this one. */
    TestCompiler with(Processor other) {
        processors.addFirst(other);
        return this;
    }

    /**
     * Finds the processor through META-INF/services on the processor path (here the test class path),
     * as a build tool's annotation processor path does, instead of passing it.
     */
    TestCompiler discoverProcessor() {
        discover = true;
        options.addAll(List.of("-processorpath", System.getProperty("java.class.path")));
        return this;
    }

    Result compile() {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StandardJavaFileManager standard =
                compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8);
        Memory memory = new Memory(standard);
        List<JavaFileObject> units = new ArrayList<>();
        for (String source : sources) {
            units.add(new Source(binaryName(source), source));
        }
        List<String> all = new ArrayList<>(options);
        if (modulePath == null) {
            all.addAll(List.of("-classpath", System.getProperty("java.class.path")));
        } else {
            all.addAll(List.of("--module-path", modulePath));
        }
        JavaCompiler.CompilationTask task = compiler.getTask(null, memory, diagnostics, all, null, units);
        if (!discover) {
            task.setProcessors(processors);
        }
        boolean success = task.call();
        return new Result(success, diagnostics.getDiagnostics(), memory.classes, memory.generated);
    }

    private static String binaryName(String source) {
        if (source.startsWith("module ")) {
            return "module-info";
        }
        Matcher p = PACKAGE.matcher(source);
        Matcher t = TYPE.matcher(source);
        if (!t.find()) {
            throw new IllegalArgumentException("no top-level type in\n" + source);
        }
        return (p.find() ? p.group(1) + "." : "") + t.group(1);
    }

    /** What a compilation produced. */
    record Result(
            boolean success,
            List<Diagnostic<? extends JavaFileObject>> diagnostics,
            Map<String, ByteArrayOutputStream> classes,
            Map<String, Source> generated) {

        List<Diagnostic<? extends JavaFileObject>> errors() {
            return diagnostics.stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .toList();
        }

        /** The generated source of a class, by binary name. */
        String generatedSource(String name) {
            Source s = generated.get(name);
            if (s == null) {
                throw new AssertionError("not generated: " + name + "; generated: " + generated.keySet() + "\n" + this);
            }
            return s.text();
        }

        ClassLoader loader() {
            return new ClassLoader("samples", TestCompiler.class.getClassLoader()) {
                @Override
                protected Class<?> findClass(String name) throws ClassNotFoundException {
                    ByteArrayOutputStream bytes = classes.get(name);
                    if (bytes == null) {
                        throw new ClassNotFoundException(name);
                    }
                    byte[] b = bytes.toByteArray();
                    return defineClass(name, b, 0, b.length);
                }
            };
        }

        @Override
        public String toString() {
            return diagnostics.stream()
                    .map(d -> d.getKind() + " at line " + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT))
                    .collect(Collectors.joining("\n"));
        }
    }

    /** A source file held in memory. */
    static final class Source extends SimpleJavaFileObject {
        private final StringBuilder text = new StringBuilder();

        Source(String binaryName, String text) {
            super(URI.create("mem:///" + binaryName.replace('.', '/') + ".java"), Kind.SOURCE);
            this.text.append(text);
        }

        String text() {
            return text.toString();
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }

        @Override
        public java.io.Writer openWriter() {
            return new java.io.Writer() {
                @Override
                public void write(char[] buffer, int offset, int length) {
                    text.append(buffer, offset, length);
                }

                @Override
                public void flush() {}

                @Override
                public void close() {}
            };
        }
    }

    private static final class Memory extends ForwardingJavaFileManager<StandardJavaFileManager> {
        final Map<String, ByteArrayOutputStream> classes = new LinkedHashMap<>();
        final Map<String, Source> generated = new LinkedHashMap<>();

        Memory(StandardJavaFileManager standard) {
            super(standard);
        }

        @Override
        public JavaFileObject getJavaFileForOutput(
                Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
            if (kind == JavaFileObject.Kind.SOURCE) {
                Source source = new Source(className, "");
                generated.put(className, source);
                return source;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            classes.put(className, bytes);
            return new SimpleJavaFileObject(
                    URI.create("mem:///" + className.replace('.', '/') + ".class"), JavaFileObject.Kind.CLASS) {
                @Override
                public OutputStream openOutputStream() {
                    return bytes;
                }
            };
        }

        @Override
        public boolean hasLocation(Location location) {
            return location == StandardLocation.SOURCE_OUTPUT
                    || location == StandardLocation.CLASS_OUTPUT
                    || super.hasLocation(location);
        }
    }
}
