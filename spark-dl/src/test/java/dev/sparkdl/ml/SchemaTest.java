package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import dev.sparkdl.TestData;

class SchemaTest {
    private static final StructType INPUT = new StructType()
            .add("features", SQLDataTypes.VectorType())
            .add("label", DataTypes.IntegerType);

    @Test
    void shouldAppendClassifierOutputs() {
        StructType out = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 2, 1)).transformSchema(INPUT);
        assertEquals(SQLDataTypes.VectorType(), out.apply("rawPrediction").dataType());
        assertEquals(SQLDataTypes.VectorType(), out.apply("probability").dataType());
        assertEquals(DataTypes.DoubleType, out.apply("prediction").dataType());
        assertEquals(5, out.size());
    }

    @Test
    void shouldAppendRegressorPrediction() {
        StructType out = new DL4JRegressor().setNetwork(TestData.regressionMlp(4, 8, 1)).transformSchema(INPUT);
        assertEquals(DataTypes.DoubleType, out.apply("prediction").dataType());
        assertEquals(3, out.size());
    }

    @Test
    void shouldAcceptFloatAndDoubleArrays() {
        for (var element : new org.apache.spark.sql.types.DataType[] {DataTypes.FloatType, DataTypes.DoubleType}) {
            StructType schema = new StructType().add("features", DataTypes.createArrayType(element))
                    .add("label", DataTypes.DoubleType);
            assertEquals(3, new DL4JRegressor().setNetwork(TestData.regressionMlp(4, 8, 1))
                    .transformSchema(schema).size());
        }
    }

    @Test
    void shouldNameMissingOrMistypedColumns() {
        DL4JClassifier classifier = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 2, 1));
        var missing = assertThrows(IllegalArgumentException.class,
                () -> classifier.setFeaturesCol("pixels").transformSchema(INPUT));
        assertTrue(missing.getMessage().contains("'pixels' does not exist"), missing.getMessage());

        StructType stringFeatures = new StructType().add("features", DataTypes.StringType).add("label", DataTypes.IntegerType);
        var wrongType = assertThrows(IllegalArgumentException.class,
                () -> new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 2, 1)).transformSchema(stringFeatures));
        assertTrue(wrongType.getMessage().contains("'features' has type string"), wrongType.getMessage());

        StructType stringLabel = new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.StringType);
        var badLabel = assertThrows(IllegalArgumentException.class,
                () -> new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 2, 1)).transformSchema(stringLabel));
        assertTrue(badLabel.getMessage().contains("'label'") && badLabel.getMessage().contains("numeric"),
                badLabel.getMessage());
    }

    @Test
    void shouldRefuseToOverwriteAnExistingColumn() {
        StructType withPrediction = INPUT.add("prediction", DataTypes.DoubleType);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DL4JRegressor().setNetwork(TestData.regressionMlp(4, 8, 1)).transformSchema(withPrediction));
        assertTrue(e.getMessage().contains("'prediction' already exists"), e.getMessage());
    }

    @Test
    void shouldRequireANetwork() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().transformSchema(INPUT));
        assertTrue(e.getMessage().contains("network"), e.getMessage());
    }
}
