package io.kvevents.cli;

import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/**
 * picocli's default factory, looked up on first use. Its class initializer asks the class loader for
 * Groovy's {@code Closure}, and a class the jar does not hold is searched for in every jar of lib/,
 * each opened and its directory read: a third of {@code kubectl kvevents --help}, which creates nothing.
 */
final class LazyFactory implements IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
        return CommandLine.defaultFactory().create(type);
    }
}
