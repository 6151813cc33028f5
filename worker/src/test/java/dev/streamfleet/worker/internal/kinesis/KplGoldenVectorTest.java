package dev.streamfleet.worker.internal.kinesis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our reader of KPL aggregates against bytes that protobuf-java encodes, from the message schema the
 * KPL publishes (aws.kinesis.protobuf: AggregatedRecord, Record, Tag; proto2). Nothing here shares code
 * with the reader or with the test encoder in {@link KplAggregates}.
 */
class KplGoldenVectorTest {

    private static final Descriptor AGGREGATED_RECORD = schema().findMessageTypeByName("AggregatedRecord");
    private static final Descriptor RECORD = schema().findMessageTypeByName("Record");
    private static final Descriptor TAG = schema().findMessageTypeByName("Tag");

    /** The KPL's messages, field by field: names, numbers, types and labels as published. */
    private static FileDescriptor schema() {
        FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("kpl-messages.proto")
                .setPackage("aws.kinesis.protobuf").setSyntax("proto2")
                .addMessageType(DescriptorProto.newBuilder().setName("Tag")
                        .addField(field("key", 1, Type.TYPE_STRING, Label.LABEL_REQUIRED, null))
                        .addField(field("value", 2, Type.TYPE_STRING, Label.LABEL_OPTIONAL, null)))
                .addMessageType(DescriptorProto.newBuilder().setName("Record")
                        .addField(field("partition_key_index", 1, Type.TYPE_UINT64, Label.LABEL_REQUIRED, null))
                        .addField(field("explicit_hash_key_index", 2, Type.TYPE_UINT64, Label.LABEL_OPTIONAL, null))
                        .addField(field("data", 3, Type.TYPE_BYTES, Label.LABEL_REQUIRED, null))
                        .addField(field("tags", 4, Type.TYPE_MESSAGE, Label.LABEL_REPEATED, ".aws.kinesis.protobuf.Tag")))
                .addMessageType(DescriptorProto.newBuilder().setName("AggregatedRecord")
                        .addField(field("partition_key_table", 1, Type.TYPE_STRING, Label.LABEL_REPEATED, null))
                        .addField(field("explicit_hash_key_table", 2, Type.TYPE_STRING, Label.LABEL_REPEATED, null))
                        .addField(field("records", 3, Type.TYPE_MESSAGE, Label.LABEL_REPEATED, ".aws.kinesis.protobuf.Record")))
                .build();
        try {
            return FileDescriptor.buildFrom(file, new FileDescriptor[0]);
        } catch (com.google.protobuf.Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FieldDescriptorProto field(String name, int number, Type type, Label label, String typeName) {
        FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
                .setType(type).setLabel(label);
        if (typeName != null) {
            field.setTypeName(typeName);
        }
        return field.build();
    }

    private static DynamicMessage record(long keyIndex, Long hashKeyIndex, String data, String tagKey) {
        DynamicMessage.Builder record = DynamicMessage.newBuilder(RECORD)
                .setField(RECORD.findFieldByName("partition_key_index"), keyIndex)
                .setField(RECORD.findFieldByName("data"), ByteString.copyFromUtf8(data));
        if (hashKeyIndex != null) {
            record.setField(RECORD.findFieldByName("explicit_hash_key_index"), hashKeyIndex);
        }
        if (tagKey != null) {
            record.addRepeatedField(RECORD.findFieldByName("tags"), DynamicMessage.newBuilder(TAG)
                    .setField(TAG.findFieldByName("key"), tagKey).build());
        }
        return record.build();
    }

    /** What a KPL producer puts on the stream: the magic bytes, the message, and the message's MD5. */
    private static byte[] onTheStream(DynamicMessage aggregate) throws Exception {
        byte[] body = aggregate.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2});
        out.write(body);
        out.write(MessageDigest.getInstance("MD5").digest(body));
        return out.toByteArray();
    }

    @Test
    void anAggregateEncodedByProtobufFromTheKplSchemaReadsBackWithKeysHashKeysAndData() throws Exception {
        DynamicMessage aggregate = DynamicMessage.newBuilder(AGGREGATED_RECORD)
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("partition_key_table"), "orders-1")
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("partition_key_table"), "orders-2")
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("explicit_hash_key_table"),
                        "170141183460469231731687303715884105728")
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("records"), record(0, null, "first", null))
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("records"), record(1, 0L, "second", "trace"))
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("records"), record(0, null, "", null))
                .build();

        List<KplAggregation.UserRecord> read = KplAggregation.deaggregate(onTheStream(aggregate)).orElseThrow();

        assertThat(read).extracting(KplAggregation.UserRecord::partitionKey).containsExactly("orders-1", "orders-2", "orders-1");
        assertThat(read).extracting(KplAggregation.UserRecord::explicitHashKey).containsExactly(Optional.empty(),
                Optional.of("170141183460469231731687303715884105728"), Optional.empty());
        assertThat(read).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("first", "second", "");
    }

    @Test
    void aRecordPointingPastTheHashKeyTableIsNotTakenForAnAggregate() throws Exception {
        DynamicMessage aggregate = DynamicMessage.newBuilder(AGGREGATED_RECORD)
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("partition_key_table"), "k")
                .addRepeatedField(AGGREGATED_RECORD.findFieldByName("records"), record(0, 3L, "x", null))
                .buildPartial();

        assertThat(KplAggregation.deaggregate(onTheStream(aggregate))).isEmpty();
    }
}
