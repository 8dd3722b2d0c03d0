package io.evento.processor;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.FilerException;
import javax.annotation.processing.Messager;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.ModuleElement;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.type.WildcardType;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;

/**
 * Generates, for every class annotated with {@code @io.evento.Handlers}, a class that registers its
 * {@code @io.evento.Handle} methods with a projection or a subscription builder, and reports a
 * wrong handler as a compile error on the method at fault.
 *
 * <p>For {@code @Handlers(Account.class) class BalanceFold} in package {@code p}, it generates
 * {@code p.BalanceFoldRegistration} (for a nested class, the simple names of the enclosing classes
 * are joined: {@code Outer.Inner} gives {@code OuterInnerRegistration}) with one method:
 *
 * <ul>
 *   <li>projection handlers ({@code S m(S state, Event<E> event)}, optionally with a third {@code
 *       Projection.Context} parameter): {@code public static Projection.Builder<S>
 *       register(Projection.Builder<S> builder, BalanceFold handlers)};
 *   <li>subscription handlers ({@code void m(Event<E> event, Subscription.Context context)}): {@code
 *       public static Subscription.Builder register(Subscription.Builder builder, BalanceFold
 *       handlers)}.
 * </ul>
 *
 * <p>The registration calls {@code builder.on(E.class, ...)} once per method, in declaration order,
 * with an explicitly typed lambda, and returns the builder. There is no reflection at run time, and
 * the processor needs nothing of Evento on the processor path: it reads the annotated code through
 * {@code javax.lang.model}, by qualified names.
 *
 * <p>Register it with the compiler's annotation processor path (Maven: {@code
 * annotationProcessorPaths} of the {@code maven-compiler-plugin}). It is found through {@code
 * META-INF/services}; for Gradle it is an isolating incremental processor.
 */
public final class HandlersProcessor extends AbstractProcessor {
    private static final String HANDLERS = "io.evento.Handlers";
    private static final String HANDLE = "io.evento.Handle";
    private static final String AGGREGATE = "io.evento.Aggregate";
    private static final String EVENT = "io.evento.Event";
    private static final String PROJECTION_BUILDER = "io.evento.Projection.Builder";
    private static final String PROJECTION_CONTEXT = "io.evento.Projection.Context";
    private static final String SUBSCRIPTION_BUILDER = "io.evento.Subscription.Builder";
    private static final String SUBSCRIPTION_CONTEXT = "io.evento.Subscription.Context";
    private static final String GENERATED = "javax.annotation.processing.Generated";

    private static final String PROJECTION_SHAPE =
            "S m(S state, Event<E> event) or S m(S state, Event<E> event, Projection.Context context)";
    private static final String SUBSCRIPTION_SHAPE = "void m(Event<E> event, Subscription.Context context)";

    /** Classes whose types were not all known yet (another processor may generate them). */
    private final Set<String> deferred = new LinkedHashSet<>();
    /** Generated class name to the handlers class it was generated for. */
    private final Map<String, String> generated = new HashMap<>();

    private Elements elements;
    private Types types;
    private Messager messager;

    /** Creates the processor; the compiler finds it through {@code META-INF/services}. */
    public HandlersProcessor() {}

    @Override
    public synchronized void init(ProcessingEnvironment processingEnv) {
        super.init(processingEnv);
        elements = processingEnv.getElementUtils();
        types = processingEnv.getTypeUtils();
        messager = processingEnv.getMessager();
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        return Set.of(HANDLERS, HANDLE);
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        TypeElement handlers = elements.getTypeElement(HANDLERS);
        TypeElement handle = elements.getTypeElement(HANDLE);
        if (handlers == null || handle == null) {
            return false; // evento-core is not on the class path: nothing can be annotated
        }
        Set<TypeElement> classes = new LinkedHashSet<>();
        for (String name : deferred) {
            Optional.ofNullable(elements.getTypeElement(name)).ifPresent(classes::add);
        }
        deferred.clear();
        for (Element element : round.getElementsAnnotatedWith(handlers)) {
            if (element instanceof TypeElement type) {
                classes.add(type);
            }
        }
        for (TypeElement type : classes) {
            if (!new ClassModel(type).process()) {
                deferred.add(type.getQualifiedName().toString());
            }
        }
        for (Element element : round.getElementsAnnotatedWith(handle)) {
            Element owner = element.getEnclosingElement();
            if (!hasAnnotation(owner, HANDLERS)) {
                error(
                        element,
                        "@Handle method %s is in %s, which is not annotated with @Handlers: annotate %s with"
                                + " @Handlers(Family.class), Family being the @Aggregate sealed interface whose"
                                + " events it handles",
                        element.getSimpleName(),
                        owner.getSimpleName(),
                        owner.getSimpleName());
            }
        }
        // Classes still deferred in the last round refer to types that do not exist: the compiler
        // reports those itself, and nothing is generated.
        return false;
    }

    /** Whether the class of the handlers is a projection's or a subscription's. */
    private enum Kind {
        PROJECTION,
        SUBSCRIPTION
    }

    /** A valid handler method. */
    private record Handler(ExecutableElement method, Kind kind, TypeMirror state, TypeElement event, boolean context) {}

    /** Thrown when a type is not known yet, to retry the class in the next round. */
    private static final class Incomplete extends Exception {
        private static final long serialVersionUID = 1L;

        Incomplete() {
            super(null, null, false, false);
        }
    }

    /** One {@code @Handlers} class, checked and generated. */
    private final class ClassModel {
        private final TypeElement type;
        private final PackageElement pkg;
        private boolean failed;
        private TypeElement family;
        private final Set<TypeElement> events = new LinkedHashSet<>();
        private final Set<TypeElement> groups = new LinkedHashSet<>();

        ClassModel(TypeElement type) {
            this.type = type;
            this.pkg = elements.getPackageOf(type);
        }

        /** Checks and generates; false when a type is not known yet. */
        boolean process() {
            try {
                checkClass();
                readFamily();
                List<ExecutableElement> methods = new ArrayList<>();
                for (ExecutableElement m : ElementFilter.methodsIn(type.getEnclosedElements())) {
                    if (hasAnnotation(m, HANDLE)) {
                        methods.add(m);
                    }
                }
                if (methods.isEmpty()) {
                    fail(
                            type,
                            "@Handlers class %s has no @Handle method: annotate its handler methods with @Handle",
                            type.getSimpleName());
                }
                for (ExecutableElement m : methods) {
                    checkComplete(m);
                }
                List<Handler> handlers = new ArrayList<>();
                for (ExecutableElement m : methods) {
                    Handler h = handler(m);
                    if (h != null) {
                        handlers.add(h);
                    }
                }
                checkTogether(handlers);
                if (!failed) {
                    write(handlers);
                }
                return true;
            } catch (Incomplete e) {
                return false;
            }
        }

        private void checkClass() {
            if (type.getKind() == ElementKind.ANNOTATION_TYPE) {
                fail(type, "@Handlers must annotate a class, not an annotation interface");
            }
            if (type.getNestingKind() == NestingKind.LOCAL || type.getNestingKind() == NestingKind.ANONYMOUS) {
                fail(
                        type,
                        "@Handlers class %s must not be a local class: the generated registration cannot reach" + " it",
                        type.getSimpleName());
                return;
            }
            if (!type.getTypeParameters().isEmpty()) {
                fail(
                        type,
                        "@Handlers class %s must not be generic: the generated registration calls its handlers"
                                + " with fixed state and event types",
                        type.getSimpleName());
            }
            boolean inner = !type.getModifiers().contains(Modifier.STATIC) && type.getKind() == ElementKind.CLASS;
            for (Element e = type; e instanceof TypeElement t; e = t.getEnclosingElement()) {
                if (t.getModifiers().contains(Modifier.PRIVATE)) {
                    fail(
                            type,
                            t == type
                                    ? "@Handlers class %s must not be private: the generated %s in the same package"
                                            + " calls its methods; make it package-private or public"
                                    : "@Handlers class %s must be accessible from its package, but it is nested in"
                                            + " private class " + t.getSimpleName() + ": the generated %s in the same"
                                            + " package cannot reach it",
                            type.getSimpleName(),
                            registrationName(type));
                }
                if (t != type && inner && !t.getTypeParameters().isEmpty()) {
                    fail(
                            type,
                            "@Handlers class %s must not be an inner class of generic class %s: make it static",
                            type.getSimpleName(),
                            t.getSimpleName());
                }
                inner = inner && !t.getModifiers().contains(Modifier.STATIC) && t.getKind() == ElementKind.CLASS;
            }
        }

        private void readFamily() throws Incomplete {
            AnnotationMirror annotation = annotation(type, HANDLERS).orElseThrow();
            AnnotationValue value = null;
            for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry :
                    annotation.getElementValues().entrySet()) {
                if (entry.getKey().getSimpleName().contentEquals("value")) {
                    value = entry.getValue();
                }
            }
            if (value == null || !(value.getValue() instanceof DeclaredType declared)) {
                throw new Incomplete(); // an unknown class: the compiler reports it
            }
            if (declared.getKind() == TypeKind.ERROR) {
                throw new Incomplete();
            }
            TypeElement candidate = (TypeElement) declared.asElement();
            if (candidate.getKind() != ElementKind.INTERFACE
                    || !candidate.getModifiers().contains(Modifier.SEALED)
                    || !hasAnnotation(candidate, AGGREGATE)) {
                failOn(
                        type,
                        annotation,
                        value,
                        "@Handlers(%s.class) must name an event family, a sealed interface annotated with"
                                + " @Aggregate; %s is %s",
                        candidate.getSimpleName(),
                        candidate.getSimpleName(),
                        describeNonFamily(candidate));
                return;
            }
            family = candidate;
            Deque<TypeElement> todo = new ArrayDeque<>(List.of(candidate));
            while (!todo.isEmpty()) {
                TypeElement sealed = todo.pop();
                for (TypeMirror permitted : sealed.getPermittedSubclasses()) {
                    if (permitted.getKind() != TypeKind.DECLARED) {
                        throw new Incomplete();
                    }
                    TypeElement sub = (TypeElement) types.asElement(permitted);
                    if (sub.getModifiers().contains(Modifier.SEALED)) {
                        groups.add(sub);
                        todo.add(sub);
                    } else if (sub.getKind().isInterface() || sub.getModifiers().contains(Modifier.ABSTRACT)) {
                        groups.add(sub); // non-sealed: Evento rejects the family when it is registered
                    } else {
                        events.add(sub);
                    }
                }
            }
            checkAccessible(type, family, "the family");
        }

        private String describeNonFamily(TypeElement candidate) {
            if (candidate.getKind() != ElementKind.INTERFACE) {
                return "not an interface";
            }
            if (!candidate.getModifiers().contains(Modifier.SEALED)) {
                return "not sealed";
            }
            return "not annotated with @Aggregate";
        }

        /** Defers the class while a type in a handler's signature is not known yet. */
        private void checkComplete(ExecutableElement method) throws Incomplete {
            if (hasError(method.getReturnType())) {
                throw new Incomplete();
            }
            for (VariableElement p : method.getParameters()) {
                if (hasError(p.asType())) {
                    throw new Incomplete();
                }
            }
        }

        /** Checks one method on its own; null if it is not a valid handler (errors reported). */
        private Handler handler(ExecutableElement m) {
            boolean ok = true;
            if (m.getModifiers().contains(Modifier.PRIVATE)) {
                ok = fail(
                        m,
                        "@Handle method %s must not be private: the generated %s calls it from the same package;"
                                + " make it package-private",
                        m.getSimpleName(),
                        registrationName(type));
            }
            if (m.getModifiers().contains(Modifier.STATIC)) {
                ok = fail(
                        m,
                        "@Handle method %s must not be static: handlers are instance methods, called on the"
                                + " instance given to %s.register(builder, handlers)",
                        m.getSimpleName(),
                        registrationName(type));
            }
            if (!m.getTypeParameters().isEmpty()) {
                return nothing(fail(
                        m,
                        "@Handle method %s must not be generic: the event type E of its Event<E> parameter must"
                                + " be a concrete event or family",
                        m.getSimpleName()));
            }
            Handler h = m.getReturnType().getKind() == TypeKind.VOID ? subscriptionHandler(m) : projectionHandler(m);
            return ok ? h : null;
        }

        private Handler projectionHandler(ExecutableElement m) {
            List<? extends VariableElement> params = m.getParameters();
            TypeMirror state = m.getReturnType();
            if (params.size() != 2 && params.size() != 3) {
                return nothing(fail(
                        m,
                        "invalid projection handler %s: it returns a state, so it must be %s, where S is the state"
                                + " type and E an event of %s; it has %d parameter%s (a subscription handler returns"
                                + " void: %s)",
                        m.getSimpleName(),
                        PROJECTION_SHAPE,
                        familyName(),
                        params.size(),
                        params.size() == 1 ? "" : "s",
                        SUBSCRIPTION_SHAPE));
            }
            if (state.getKind().isPrimitive()) {
                return nothing(fail(
                        m,
                        "invalid projection handler %s: the state type must be a reference type, not %s; use %s",
                        m.getSimpleName(),
                        state,
                        types.boxedClass(types.getPrimitiveType(state.getKind()))
                                .getSimpleName()));
            }
            TypeMirror first = params.get(0).asType();
            if (!types.isSameType(first, state)) {
                return nothing(fail(
                        params.get(0),
                        "invalid projection handler %s: its first parameter is the state it folds into, so its type"
                                + " must be the return type %s, but it is %s (expected %s)",
                        m.getSimpleName(),
                        display(state),
                        display(first),
                        PROJECTION_SHAPE));
            }
            TypeElement event = eventType(m, params.get(1), "projection", PROJECTION_SHAPE);
            if (event == null) {
                return null;
            }
            if (params.size() == 3 && !isType(params.get(2).asType(), PROJECTION_CONTEXT)) {
                return nothing(fail(
                        params.get(2),
                        "invalid projection handler %s: its third parameter must be a Projection.Context, not %s"
                                + " (expected %s)",
                        m.getSimpleName(),
                        display(params.get(2).asType()),
                        PROJECTION_SHAPE));
            }
            for (TypeMirror thrown : m.getThrownTypes()) {
                if (isChecked(thrown)) {
                    return nothing(fail(
                            m,
                            "invalid projection handler %s: it must not throw the checked exception %s, projection"
                                    + " handlers cannot throw checked exceptions",
                            m.getSimpleName(),
                            display(thrown)));
                }
            }
            if (!checkAccessible(m, state, "the state type")) {
                return null;
            }
            return new Handler(m, Kind.PROJECTION, state, event, params.size() == 3);
        }

        private Handler subscriptionHandler(ExecutableElement m) {
            List<? extends VariableElement> params = m.getParameters();
            if (params.size() != 2) {
                return nothing(fail(
                        m,
                        "invalid subscription handler %s: it returns void, so it must be %s, where E is an event of"
                                + " %s; it has %d parameter%s (a projection handler returns its state: %s)",
                        m.getSimpleName(),
                        SUBSCRIPTION_SHAPE,
                        familyName(),
                        params.size(),
                        params.size() == 1 ? "" : "s",
                        PROJECTION_SHAPE));
            }
            TypeElement event = eventType(m, params.get(0), "subscription", SUBSCRIPTION_SHAPE);
            if (event == null) {
                return null;
            }
            if (!isType(params.get(1).asType(), SUBSCRIPTION_CONTEXT)) {
                return nothing(fail(
                        params.get(1),
                        "invalid subscription handler %s: its second parameter must be a Subscription.Context, not"
                                + " %s (expected %s)",
                        m.getSimpleName(),
                        display(params.get(1).asType()),
                        SUBSCRIPTION_SHAPE));
            }
            TypeMirror exception =
                    elements.getTypeElement("java.lang.Exception").asType();
            for (TypeMirror thrown : m.getThrownTypes()) {
                if (!types.isAssignable(thrown, exception)) {
                    return nothing(fail(
                            m,
                            "invalid subscription handler %s: it may throw exceptions, but not %s, which is not an"
                                    + " Exception",
                            m.getSimpleName(),
                            display(thrown)));
                }
            }
            return new Handler(m, Kind.SUBSCRIPTION, null, event, true);
        }

        /** The E of an {@code Event<E>} parameter; null if wrong (error reported). */
        private TypeElement eventType(ExecutableElement m, VariableElement p, String kind, String shape) {
            TypeMirror t = p.asType();
            if (!isType(t, EVENT)) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: expected a parameter of type Event<E> here, where E is an event of %s"
                                + " or %s itself, but found %s (expected %s)",
                        kind,
                        m.getSimpleName(),
                        familyName(),
                        familyName(),
                        display(t),
                        shape));
            }
            List<? extends TypeMirror> args = ((DeclaredType) t).getTypeArguments();
            if (args.isEmpty()) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: Event needs a type argument, the event it handles: Event<E>, where E"
                                + " is an event of %s or %s itself",
                        kind,
                        m.getSimpleName(),
                        familyName(),
                        familyName()));
            }
            TypeMirror arg = args.get(0);
            if (arg.getKind() == TypeKind.WILDCARD) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: %s has a wildcard; name the event exactly, as Event<E>, where E is an"
                                + " event of %s or %s itself",
                        kind,
                        m.getSimpleName(),
                        display(t),
                        familyName(),
                        familyName()));
            }
            if (arg.getKind() != TypeKind.DECLARED) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: in Event<E>, E must be an event of %s or %s itself, not %s",
                        kind,
                        m.getSimpleName(),
                        familyName(),
                        familyName(),
                        display(arg)));
            }
            TypeElement event = (TypeElement) ((DeclaredType) arg).asElement();
            if (family == null) {
                return null; // the family is wrong, already reported
            }
            if (event.equals(family)) {
                return event;
            }
            if (groups.contains(event)) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: %s groups some events of %s; a handler takes one event, Event<E>"
                                + " with E a record of %s, or the whole family, Event<%s>",
                        kind,
                        m.getSimpleName(),
                        event.getSimpleName(),
                        familyName(),
                        familyName(),
                        familyName()));
            }
            if (!events.contains(event)) {
                String owner = familyOf(event)
                        .map(f -> " (it is an event of " + f.getSimpleName() + ")")
                        .orElse("");
                return nothing(fail(
                        p,
                        "invalid %s handler %s: %s is not an event of %s%s, the family given to @Handlers; the events"
                                + " of %s are %s",
                        kind,
                        m.getSimpleName(),
                        event.getSimpleName(),
                        familyName(),
                        owner,
                        familyName(),
                        events.stream().map(e -> e.getSimpleName().toString()).collect(Collectors.joining(", "))));
            }
            if (!event.getTypeParameters().isEmpty()) {
                return nothing(fail(
                        p,
                        "invalid %s handler %s: generic event %s is not supported",
                        kind,
                        m.getSimpleName(),
                        event.getSimpleName()));
            }
            if (!checkAccessible(p, arg, "the event type")) {
                return null;
            }
            return event;
        }

        /** Checks the handlers against each other: one kind, one state type, one handler per event. */
        private void checkTogether(List<Handler> handlers) {
            Handler first = null;
            Map<TypeElement, Handler> byEvent = new LinkedHashMap<>();
            for (Handler h : handlers) {
                if (first == null) {
                    first = h;
                } else if (h.kind() != first.kind()) {
                    fail(
                            h.method(),
                            "@Handlers class %s mixes projection and subscription handlers: %s is a %s handler, but"
                                    + " %s is a %s handler; a class registers with either a Projection.Builder or a"
                                    + " Subscription.Builder, so move the %s handlers to another @Handlers class",
                            type.getSimpleName(),
                            h.method().getSimpleName(),
                            kindName(h.kind()),
                            first.method().getSimpleName(),
                            kindName(first.kind()),
                            kindName(h.kind()));
                    continue;
                } else if (h.kind() == Kind.PROJECTION && !types.isSameType(h.state(), first.state())) {
                    fail(
                            h.method(),
                            "the projection handlers of %s must all fold the same state type: %s returns %s, but %s"
                                    + " returns %s",
                            type.getSimpleName(),
                            h.method().getSimpleName(),
                            display(h.state()),
                            first.method().getSimpleName(),
                            display(first.state()));
                    continue;
                }
                Handler previous = byEvent.putIfAbsent(h.event(), h);
                if (previous != null) {
                    fail(
                            h.method(),
                            "duplicate handler for %s: %s already handles it; keep one handler per event",
                            h.event().getSimpleName(),
                            previous.method().getSimpleName());
                }
            }
        }

        /** Whether the types in a signature can be named from the generated class's package. */
        private boolean checkAccessible(Element at, TypeMirror t, String what) {
            Optional<TypeElement> hidden = inaccessible(t);
            if (hidden.isEmpty()) {
                return true;
            }
            return fail(
                    at,
                    "%s %s is not accessible from package %s, where the generated %s uses it; make %s package-private"
                            + " or public",
                    what,
                    display(t),
                    pkg.isUnnamed() ? "(unnamed)" : pkg.getQualifiedName(),
                    registrationName(type),
                    hidden.get().getSimpleName());
        }

        private void checkAccessible(Element at, TypeElement t, String what) {
            checkAccessible(at, t.asType(), what);
        }

        private Optional<TypeElement> inaccessible(TypeMirror t) {
            switch (t.getKind()) {
                case ARRAY -> {
                    return inaccessible(((ArrayType) t).getComponentType());
                }
                case WILDCARD -> {
                    WildcardType w = (WildcardType) t;
                    TypeMirror bound = w.getExtendsBound() != null ? w.getExtendsBound() : w.getSuperBound();
                    return bound == null ? Optional.empty() : inaccessible(bound);
                }
                case DECLARED -> {
                    for (Element e = types.asElement(t); e instanceof TypeElement te; e = te.getEnclosingElement()) {
                        boolean samePackage = elements.getPackageOf(te).equals(pkg);
                        if (te.getModifiers().contains(Modifier.PRIVATE)
                                || te.getNestingKind() == NestingKind.LOCAL
                                || (!samePackage && !te.getModifiers().contains(Modifier.PUBLIC))) {
                            return Optional.of(te);
                        }
                    }
                    for (TypeMirror arg : ((DeclaredType) t).getTypeArguments()) {
                        Optional<TypeElement> hidden = inaccessible(arg);
                        if (hidden.isPresent()) {
                            return hidden;
                        }
                    }
                    return Optional.empty();
                }
                default -> {
                    return Optional.empty();
                }
            }
        }

        private String familyName() {
            return family == null ? "the family" : family.getSimpleName().toString();
        }

        private boolean fail(Element at, String format, Object... args) {
            failed = true;
            error(at, format, args);
            return false;
        }

        private void failOn(
                Element at, AnnotationMirror annotation, AnnotationValue value, String format, Object... args) {
            failed = true;
            messager.printMessage(Diagnostic.Kind.ERROR, String.format(format, args), at, annotation, value);
        }

        private void write(List<Handler> handlers) {
            String name = registrationName(type);
            String packageName = pkg.isUnnamed() ? "" : pkg.getQualifiedName().toString();
            String qualified = packageName.isEmpty() ? name : packageName + "." + name;
            String previous =
                    generated.putIfAbsent(qualified, type.getQualifiedName().toString());
            if (previous != null) {
                error(
                        type,
                        "%s would generate %s, which is already generated for %s; rename one of the classes",
                        type.getSimpleName(),
                        qualified,
                        previous);
                return;
            }
            String source = new SourceWriter(packageName, name, handlers).source();
            try {
                JavaFileObject file = processingEnv.getFiler().createSourceFile(qualified, type);
                try (Writer writer = file.openWriter()) {
                    writer.write(source);
                }
            } catch (FilerException e) {
                error(type, "cannot generate %s for %s: %s", qualified, type.getSimpleName(), e.getMessage());
            } catch (IOException e) {
                error(type, "cannot write %s: %s", qualified, e);
            }
        }

        /** The text of the generated registration class. */
        private final class SourceWriter {
            private final String packageName;
            private final String name;
            private final List<Handler> handlers;
            private final ImportScope scope;

            SourceWriter(String packageName, String name, List<Handler> handlers) {
                this.packageName = packageName;
                this.name = name;
                this.handlers = handlers;
                this.scope = new ImportScope(packageName, name, elements);
            }

            String source() {
                Kind kind = handlers.getFirst().kind();
                String self = scope.name(type);
                String builder;
                if (kind == Kind.PROJECTION) {
                    builder = scope.name(elements.getTypeElement(PROJECTION_BUILDER)) + "<"
                            + scope.type(handlers.getFirst().state()) + ">";
                } else {
                    builder = scope.name(elements.getTypeElement(SUBSCRIPTION_BUILDER));
                }
                List<String> calls = new ArrayList<>();
                List<String> docs = new ArrayList<>();
                for (Handler h : handlers) {
                    calls.add(call(h));
                    docs.add("     *   <li>{@code " + h.event().getSimpleName() + "}: {@code "
                            + h.method().getSimpleName() + "}");
                }
                String generatedAnnotation = generatedAvailable()
                        ? "@" + scope.name(elements.getTypeElement(GENERATED)) + "(\""
                                + HandlersProcessor.class.getName() + "\")\n"
                        : "";
                boolean isPublic = isPublic(type);
                String kindText = kind == Kind.PROJECTION ? "projection" : "subscription";

                StringBuilder out = new StringBuilder();
                if (!packageName.isEmpty()) {
                    out.append("package ").append(packageName).append(";\n\n");
                }
                for (String i : scope.imports()) {
                    out.append("import ").append(i).append(";\n");
                }
                if (!scope.imports().isEmpty()) {
                    out.append('\n');
                }
                out.append("/**\n")
                        .append(" * Registers the {@code @Handle} methods of {@link ")
                        .append(self)
                        .append("} with a ")
                        .append(kindText)
                        .append(" builder.\n")
                        .append(" *\n")
                        .append(" * <p>Generated by the Evento annotation processor from {@code @Handlers(")
                        .append(family.getSimpleName())
                        .append(".class)}; do not edit.\n")
                        .append(" */\n")
                        .append(generatedAnnotation)
                        .append(isPublic ? "public " : "")
                        .append("final class ")
                        .append(name)
                        .append(" {\n")
                        .append("    private ")
                        .append(name)
                        .append("() {}\n\n")
                        .append("    /**\n")
                        .append("     * Registers the handlers, in declaration order:\n")
                        .append("     *\n")
                        .append("     * <ul>\n");
                docs.forEach(d -> out.append(d).append('\n'));
                out.append("     * </ul>\n")
                        .append("     *\n")
                        .append("     * @param builder the ")
                        .append(kindText)
                        .append(" builder\n")
                        .append("     * @param handlers the instance whose methods handle the events\n")
                        .append("     * @return the builder, to go on configuring it\n")
                        .append("     */\n");
                String signature = "    public static " + builder + " register(" + builder + " builder, " + self
                        + " handlers) {\n";
                if (signature.length() > 121) {
                    signature = "    public static " + builder + " register(\n            " + builder + " builder, "
                            + self + " handlers) {\n";
                }
                out.append(signature);
                calls.forEach(out::append);
                out.append("        return builder;\n").append("    }\n").append("}\n");
                return out.toString();
            }

            private String call(Handler h) {
                String event = scope.name(h.event());
                String eventParam = scope.name(elements.getTypeElement(EVENT)) + "<" + event + "> event";
                String lambda;
                if (h.kind() == Kind.PROJECTION) {
                    String state = scope.type(h.state());
                    lambda = h.context()
                            ? "(" + state + " state, " + eventParam + ", "
                                    + scope.name(elements.getTypeElement(PROJECTION_CONTEXT)) + " context) -> handlers."
                                    + h.method().getSimpleName() + "(state, event, context)"
                            : "(" + state + " state, " + eventParam + ") -> handlers."
                                    + h.method().getSimpleName() + "(state, event)";
                } else {
                    lambda = "(" + eventParam + ", " + scope.name(elements.getTypeElement(SUBSCRIPTION_CONTEXT))
                            + " context) -> handlers." + h.method().getSimpleName() + "(event, context)";
                }
                String indent = "                ";
                String line = indent + lambda + ");";
                if (line.length() > 120) {
                    int arrow = lambda.indexOf(" -> ");
                    line = indent + lambda.substring(0, arrow) + " ->\n" + indent + "        "
                            + lambda.substring(arrow + 4) + ");";
                }
                return "        builder.on(\n" + indent + event + ".class,\n" + line + "\n";
            }
        }

        /** Whether the generated code may use {@code @javax.annotation.processing.Generated}. */
        private boolean generatedAvailable() {
            if (elements.getTypeElement(GENERATED) == null) {
                return false; // before Java 9, or --release 8
            }
            ModuleElement module = elements.getModuleOf(type);
            return module == null || module.isUnnamed() || reads(module, "java.compiler");
        }

        private String display(TypeMirror t) {
            return new ImportScope(
                            pkg.isUnnamed() ? "" : pkg.getQualifiedName().toString(), registrationName(type), elements)
                    .type(t);
        }
    }

    /** Whether a named module reads another one: requires it, or requires one that requires it transitively. */
    private static boolean reads(ModuleElement module, String name) {
        Set<ModuleElement> seen = new HashSet<>();
        Deque<ModuleElement> todo = new ArrayDeque<>();
        for (var requires : ElementFilter.requiresIn(module.getDirectives())) {
            todo.add(requires.getDependency());
        }
        while (!todo.isEmpty()) {
            ModuleElement m = todo.pop();
            if (!seen.add(m)) {
                continue;
            }
            if (m.getQualifiedName().contentEquals(name)) {
                return true;
            }
            for (var requires : ElementFilter.requiresIn(m.getDirectives())) {
                if (requires.isTransitive()) {
                    todo.add(requires.getDependency());
                }
            }
        }
        return false;
    }

    /** The generated class's simple name: the simple names from the top-level class, and "Registration". */
    private static String registrationName(TypeElement type) {
        StringBuilder name = new StringBuilder("Registration");
        for (Element e = type; e instanceof TypeElement t; e = t.getEnclosingElement()) {
            name.insert(0, t.getSimpleName());
        }
        return name.toString();
    }

    private static boolean isPublic(TypeElement type) {
        for (Element e = type; e instanceof TypeElement t; e = t.getEnclosingElement()) {
            if (!t.getModifiers().contains(Modifier.PUBLIC)) {
                return false;
            }
        }
        return true;
    }

    private static String kindName(Kind kind) {
        return kind == Kind.PROJECTION ? "projection" : "subscription";
    }

    private static <T> T nothing(boolean ignored) {
        return null;
    }

    private boolean isChecked(TypeMirror thrown) {
        TypeMirror runtime =
                elements.getTypeElement("java.lang.RuntimeException").asType();
        TypeMirror error = elements.getTypeElement("java.lang.Error").asType();
        return !types.isAssignable(thrown, runtime) && !types.isAssignable(thrown, error);
    }

    private Optional<TypeElement> familyOf(TypeElement event) {
        Deque<TypeMirror> todo = new ArrayDeque<>(event.getInterfaces());
        while (!todo.isEmpty()) {
            TypeElement i = (TypeElement) types.asElement(todo.pop());
            if (i == null) {
                continue;
            }
            if (hasAnnotation(i, AGGREGATE)) {
                return Optional.of(i);
            }
            todo.addAll(i.getInterfaces());
        }
        return Optional.empty();
    }

    private static boolean isType(TypeMirror t, String qualifiedName) {
        return t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) t).asElement())
                        .getQualifiedName()
                        .contentEquals(qualifiedName);
    }

    private static boolean hasError(TypeMirror t) {
        return switch (t.getKind()) {
            case ERROR -> true;
            case DECLARED -> ((DeclaredType) t).getTypeArguments().stream().anyMatch(HandlersProcessor::hasError);
            case ARRAY -> hasError(((ArrayType) t).getComponentType());
            case WILDCARD -> {
                WildcardType w = (WildcardType) t;
                yield (w.getExtendsBound() != null && hasError(w.getExtendsBound()))
                        || (w.getSuperBound() != null && hasError(w.getSuperBound()));
            }
            default -> false;
        };
    }

    private static boolean hasAnnotation(Element element, String qualifiedName) {
        return annotation(element, qualifiedName).isPresent();
    }

    private static Optional<AnnotationMirror> annotation(Element element, String qualifiedName) {
        for (AnnotationMirror mirror : element.getAnnotationMirrors()) {
            if (((TypeElement) mirror.getAnnotationType().asElement())
                    .getQualifiedName()
                    .contentEquals(qualifiedName)) {
                return Optional.of(mirror);
            }
        }
        return Optional.empty();
    }

    private void error(Element at, String format, Object... args) {
        messager.printMessage(Diagnostic.Kind.ERROR, String.format(format, args), at);
    }
}
