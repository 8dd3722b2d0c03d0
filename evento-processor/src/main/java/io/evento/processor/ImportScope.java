package io.evento.processor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.type.WildcardType;
import javax.lang.model.util.Elements;

/**
 * The names of types in one generated compilation unit: imports what it can, and falls back to the
 * qualified name when a simple name is taken, so the generated code reads well and always means
 * what it should. Type annotations are left out of printed types on purpose.
 */
final class ImportScope {
    private final String packageName;
    private final Elements elements;
    /** Simple names of top-level types, and which qualified type each one means in this file. */
    private final Map<String, String> taken = new HashMap<>();

    private final Set<String> imports = new TreeSet<>();

    ImportScope(String packageName, String generatedSimpleName, Elements elements) {
        this.packageName = packageName;
        this.elements = elements;
        taken.put(generatedSimpleName, qualify(generatedSimpleName));
    }

    /** The imports to declare, sorted. */
    Set<String> imports() {
        return imports;
    }

    /** How to write a type in the generated file. */
    String type(TypeMirror type) {
        return switch (type.getKind()) {
            case DECLARED -> declared((DeclaredType) type);
            case ARRAY -> type(((ArrayType) type).getComponentType()) + "[]";
            case WILDCARD -> wildcard((WildcardType) type);
            case BOOLEAN, BYTE, SHORT, INT, LONG, CHAR, FLOAT, DOUBLE, VOID ->
                type.getKind().name().toLowerCase(java.util.Locale.ROOT);
            default -> type.toString();
        };
    }

    /** How to write a class name (without type arguments) in the generated file. */
    String name(TypeElement type) {
        List<String> path = new ArrayList<>();
        TypeElement top = type;
        path.add(type.getSimpleName().toString());
        while (top.getEnclosingElement() instanceof TypeElement outer) {
            top = outer;
            path.addFirst(outer.getSimpleName().toString());
        }
        String relative = String.join(".", path);
        String simple = top.getSimpleName().toString();
        String topName = top.getQualifiedName().toString();
        String owner = taken.get(simple);
        if (owner != null) {
            return owner.equals(topName) ? relative : type.getQualifiedName().toString();
        }
        String typePackage = elements.getPackageOf(top).getQualifiedName().toString();
        if (typePackage.equals(packageName)) {
            taken.put(simple, topName);
            return relative;
        }
        if (elements.getTypeElement(qualify(simple)) != null) {
            // A type of this package has the same simple name: importing would hide it.
            return type.getQualifiedName().toString();
        }
        taken.put(simple, topName);
        if (!typePackage.equals("java.lang")) {
            imports.add(topName);
        }
        return relative;
    }

    private String declared(DeclaredType type) {
        TypeElement element = (TypeElement) type.asElement();
        String name;
        if (type.getEnclosingType() instanceof DeclaredType outer
                && !outer.getTypeArguments().isEmpty()) {
            name = declared(outer) + "." + element.getSimpleName();
        } else {
            name = name(element);
        }
        if (type.getTypeArguments().isEmpty()) {
            return name;
        }
        return name + type.getTypeArguments().stream().map(this::type).collect(Collectors.joining(", ", "<", ">"));
    }

    private String wildcard(WildcardType type) {
        if (type.getExtendsBound() != null) {
            return "? extends " + type(type.getExtendsBound());
        }
        if (type.getSuperBound() != null) {
            return "? super " + type(type.getSuperBound());
        }
        return "?";
    }

    private String qualify(String simpleName) {
        return packageName.isEmpty() ? simpleName : packageName + "." + simpleName;
    }
}
