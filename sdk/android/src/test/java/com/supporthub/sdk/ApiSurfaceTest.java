package com.supporthub.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Android-safe by test: every class the SDK's compiled core refers to (its constant pools: class
 * entries and the types in every descriptor and signature) must come from a package Android has
 * at the minimum API level the README states (21, OkHttp 3.13's), and no method may be one of the
 * Java 8 library additions Android only gained at API 24.
 */
class ApiSurfaceTest {
    /** Package prefixes (internal form) the core may use. */
    static final List<String> ALLOWED = Arrays.asList(
            "java/lang/", "java/util/", "java/io/", "java/net/", "java/nio/charset/", "java/text/",
            "okhttp3/", "okio/", "org/json/", "com/supporthub/sdk/");

    /** Inside allowed packages, what Android lacks below API 24–26 (or never had). */
    static final List<String> FORBIDDEN = Arrays.asList(
            "java/net/http/", "java/lang/invoke/", "java/lang/reflect/", "java/lang/management/", "java/lang/ProcessBuilder",
            "java/util/function/", "java/util/stream/", "java/util/Base64", "java/util/Optional", "java/util/concurrent/CompletableFuture",
            "java/util/concurrent/ForkJoinPool", "java/util/StringJoiner", "java/util/Spliterator", "java/lang/Module", "java/lang/StackWalker");

    /** Java 8 default and static methods of old interfaces: API 24 on Android. Owner#name. */
    static final List<String> FORBIDDEN_METHODS = Arrays.asList(
            "java/util/Map#getOrDefault", "java/util/Map#putIfAbsent", "java/util/Map#forEach", "java/util/Map#computeIfAbsent",
            "java/util/Map#compute", "java/util/Map#merge", "java/util/List#sort", "java/util/List#replaceAll",
            "java/util/Collection#removeIf", "java/util/Collection#stream", "java/lang/Iterable#forEach", "java/util/Comparator#comparing",
            "java/lang/String#join", "java/lang/String#chars", "java/lang/Long#hashCode", "java/util/Objects#requireNonNullElse");

    @Test
    void theCoreUsesOnlyApisAndroid21Has() throws IOException {
        File classes = new File(System.getProperty("sdk.classes", "build/main"));
        List<File> files = classFiles(classes);
        assertTrue(files.size() >= 10, "found the SDK's classes in " + classes);
        TreeSet<String> problems = new TreeSet<String>();
        for (File file : files) problems.addAll(problems(file));
        assertEquals(new TreeSet<String>(), problems);
    }

    /** The check can fail: the tests themselves use java.nio.file and java.util.Base64 and are flagged. */
    @Test
    void theCheckFlagsWhatAndroidLacks() throws IOException {
        File tests = new File(SupportHubTest.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        TreeSet<String> problems = new TreeSet<String>();
        for (File file : classFiles(tests)) problems.addAll(problems(file));
        assertTrue(problems.toString().contains("java/nio/file/Files"), problems.toString());
        assertTrue(problems.toString().contains("java/util/Base64"), problems.toString());
        assertTrue(problems.toString().contains("java/util/function/Predicate"), problems.toString());
    }

    static List<String> problems(File classFile) throws IOException {
        ClassReferences refs = ClassReferences.read(classFile);
        List<String> found = new ArrayList<String>();
        String where = classFile.getName();
        if (refs.major > 52) found.add(where + ": class file version " + refs.major + " (Java 8 is 52)");
        for (String type : refs.types) {
            boolean allowed = false;
            for (String prefix : ALLOWED) allowed |= type.startsWith(prefix);
            for (String prefix : FORBIDDEN) allowed &= !type.startsWith(prefix);
            if (!allowed) found.add(where + " → " + type);
        }
        for (String method : refs.methods) if (FORBIDDEN_METHODS.contains(method)) found.add(where + " → " + method + "()");
        return found;
    }

    static List<File> classFiles(File dir) {
        List<File> out = new ArrayList<File>();
        File[] children = dir.listFiles();
        if (children == null) return out;
        for (File child : children) {
            if (child.isDirectory()) out.addAll(classFiles(child));
            else if (child.getName().endsWith(".class")) out.add(child);
        }
        return out;
    }

    /** A small class-file reader (JVMS §4.4): the constant pool's class names, descriptor types and method refs. */
    static final class ClassReferences {
        private static final Pattern DESCRIPTOR_TYPE = Pattern.compile("L([A-Za-z_$][\\w$]*(?:/[\\w$]+)+)[;<]");
        int major;
        final TreeSet<String> types = new TreeSet<String>();
        final TreeSet<String> methods = new TreeSet<String>();

        static ClassReferences read(File file) throws IOException {
            ClassReferences refs = new ClassReferences();
            DataInputStream in = new DataInputStream(new FileInputStream(file));
            try {
                if (in.readInt() != 0xCAFEBABE) throw new IOException(file + " is not a class file");
                in.readUnsignedShort();
                refs.major = in.readUnsignedShort();
                int count = in.readUnsignedShort();
                String[] utf8 = new String[count];
                int[] classNameIndex = new int[count];
                int[][] memberRefs = new int[count][];
                int[] nameAndTypeName = new int[count];
                for (int i = 1; i < count; i++) {
                    int tag = in.readUnsignedByte();
                    switch (tag) {
                        case 1: utf8[i] = in.readUTF(); break;
                        case 3: case 4: in.readInt(); break;
                        case 5: case 6: in.readLong(); i++; break;
                        case 7: classNameIndex[i] = in.readUnsignedShort(); break;
                        case 8: case 16: case 19: case 20: in.readUnsignedShort(); break;
                        case 9: case 10: case 11: memberRefs[i] = new int[] {tag, in.readUnsignedShort(), in.readUnsignedShort()}; break;
                        case 12: nameAndTypeName[i] = in.readUnsignedShort(); in.readUnsignedShort(); break;
                        case 15: in.readUnsignedByte(); in.readUnsignedShort(); break;
                        case 17: case 18: in.readUnsignedShort(); in.readUnsignedShort(); break;
                        default: throw new IOException(file + ": unknown constant pool tag " + tag);
                    }
                }
                for (int i = 1; i < count; i++) {
                    if (classNameIndex[i] != 0) {
                        String name = utf8[classNameIndex[i]];
                        if (name.startsWith("[")) addDescriptorTypes(refs, name);
                        else refs.types.add(name);
                    }
                    // Descriptors and generic signatures (fields, methods, NameAndType) are Utf8 entries.
                    if (utf8[i] != null) addDescriptorTypes(refs, utf8[i]);
                }
                for (int i = 1; i < count; i++) {
                    if (memberRefs[i] == null || memberRefs[i][0] == 9) continue;
                    String owner = utf8[classNameIndex[memberRefs[i][1]]];
                    refs.methods.add(owner + "#" + utf8[nameAndTypeName[memberRefs[i][2]]]);
                }
            } finally {
                in.close();
            }
            return refs;
        }

        private static void addDescriptorTypes(ClassReferences refs, String text) {
            if (!(text.startsWith("(") || text.startsWith("L") || text.startsWith("[") || text.startsWith("<"))) return;
            Matcher m = DESCRIPTOR_TYPE.matcher(text);
            while (m.find()) refs.types.add(m.group(1));
        }
    }
}
