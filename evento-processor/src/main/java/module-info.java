/**
 * Evento's annotation processor: generates the registration of the {@code @Handle} methods of
 * {@code @Handlers} classes. See {@link io.evento.processor.HandlersProcessor}.
 */
module io.evento.processor {
    requires java.compiler;

    provides javax.annotation.processing.Processor with
            io.evento.processor.HandlersProcessor;
}
