package io.github.xent4j.samediff;

import org.nd4j.autodiff.samediff.InferenceFactory;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;

/**
 * SameDiff's inference-session factory while xent4j is on the class path: SameDiff's class
 * initialiser instantiates it (ND4J's {@code inferencefactory.class} setting, set by
 * {@link XentOpsRegistration} when ND4J starts), which registers the xent4j ops before any graph
 * is built or loaded. It creates the same sessions as SameDiff's default factory. Public only
 * because SameDiff instantiates it by reflection; {@code SameDiff.bindInferenceFactory} replaces
 * it as it replaces the default.
 */
public final class RegisteringInferenceFactory implements InferenceFactory {
    /** Registers the ops; never throws (SameDiff's class initialiser would fail for good). */
    public RegisteringInferenceFactory() {
        XentOpsRegistration.registerAutomatically();
    }

    @Override
    public InferenceSession create(SameDiff sameDiff) {
        return new InferenceSession(sameDiff);
    }
}
