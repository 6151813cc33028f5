package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.worker.AsyncRecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.config.FleetConfigLoader;

import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API's closure: every type an application meets from {@code Streamfleet.worker()},
 * the processor SPI and the configuration loader, through any public signature, is either marked
 * {@link PublicApi}, from the JDK, the metric registry, or (only in {@link AwsClients} and
 * {@link KinesisClients}) from the AWS SDK. So no Curator, ZooKeeper or Kafka type, and nothing
 * of an internal package, crosses it.
 */
class PublicApiTest {

    private static final List<Class<?>> ROOTS = List.of(Streamfleet.class, RecordProcessorFactory.class,
            AsyncRecordProcessor.class, FleetConfigLoader.class);
    private static final Set<Class<?>> MAY_USE_THE_SDK = Set.of(AwsClients.class, KinesisClients.class);

    @Test
    void everyTypeAnApplicationMeetsIsMarkedPublicAndNoCuratorZooKeeperKafkaOrInternalTypeCrossesIt() {
        Set<String> problems = new TreeSet<>();
        Set<Class<?>> seen = new LinkedHashSet<>();
        Deque<Class<?>> todo = new ArrayDeque<>(ROOTS);
        while (!todo.isEmpty()) {
            Class<?> type = todo.pop();
            if (!seen.add(type)) {
                continue;
            }
            if (!marked(type)) {
                problems.add(type.getName() + " is reached through the public API but not marked @PublicApi");
            }
            if (type.getPackageName().contains(".internal")) {
                problems.add(type.getName() + " is internal but reached through the public API");
            }
            for (Type used : signatures(type)) {
                for (Class<?> reached : classes(used)) {
                    if (reached.isPrimitive() || reached.getName().startsWith("java.")) {
                        continue;
                    }
                    if (reached.getName().startsWith("dev.streamfleet.")) {
                        todo.push(reached);
                    } else if (reached.getName().startsWith("software.amazon.awssdk.") && MAY_USE_THE_SDK.contains(type)) {
                        continue;
                    } else if (!reached.equals(com.codahale.metrics.MetricRegistry.class)) {
                        problems.add(type.getName() + " shows " + reached.getName());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(seen).as("the closure reaches the API's core").contains(EmbeddedWorker.class,
                dev.streamfleet.worker.StreamRecord.class, dev.streamfleet.core.Position.class);
    }

    /** Marked itself, or a member of a marked type (FleetConfig.Kinesis, Position.Sequence). */
    private static boolean marked(Class<?> type) {
        for (Class<?> at = type; at != null; at = at.getEnclosingClass()) {
            if (at.isAnnotationPresent(PublicApi.class)) {
                return true;
            }
        }
        return false;
    }

    private static List<Type> signatures(Class<?> type) {
        List<Type> types = new java.util.ArrayList<>();
        if (type.getGenericSuperclass() != null) {
            types.add(type.getGenericSuperclass());
        }
        types.addAll(List.of(type.getGenericInterfaces()));
        for (Method method : type.getMethods()) {
            if (method.getDeclaringClass().getName().startsWith("java.")) {
                continue;
            }
            types.add(method.getGenericReturnType());
            types.addAll(List.of(method.getGenericParameterTypes()));
            types.addAll(List.of(method.getGenericExceptionTypes()));
        }
        for (Constructor<?> constructor : type.getConstructors()) {
            types.addAll(List.of(constructor.getGenericParameterTypes()));
        }
        for (var field : type.getFields()) {
            types.add(field.getGenericType());
        }
        for (Class<?> member : type.getClasses()) {
            if (Modifier.isPublic(member.getModifiers())) {
                types.add(member);
            }
        }
        if (type.isSealed()) {
            types.addAll(List.of(type.getPermittedSubclasses()));
        }
        return types;
    }

    private static Set<Class<?>> classes(Type type) {
        Set<Class<?>> classes = new LinkedHashSet<>();
        if (type instanceof Class<?> plain) {
            classes.add(plain.isArray() ? plain.getComponentType() : plain);
        } else if (type instanceof ParameterizedType parameterized) {
            classes.addAll(classes(parameterized.getRawType()));
            for (Type argument : parameterized.getActualTypeArguments()) {
                classes.addAll(classes(argument));
            }
        } else if (type instanceof GenericArrayType array) {
            classes.addAll(classes(array.getGenericComponentType()));
        } else if (type instanceof WildcardType wildcard) {
            for (Type bound : wildcard.getUpperBounds()) {
                classes.addAll(classes(bound));
            }
            for (Type bound : wildcard.getLowerBounds()) {
                classes.addAll(classes(bound));
            }
        } else if (type instanceof TypeVariable<?> variable) {
            for (Type bound : variable.getBounds()) {
                classes.addAll(classes(bound));
            }
        }
        return classes;
    }
}
