/**
 * The plugin conformance suite: abstract JUnit 5 tests of what every Graft plugin must honour,
 * whatever it does. A plugin's test class extends {@link
 * dev.graft.plugins.conformance.AbstractDomainPluginTest} or {@link
 * dev.graft.plugins.conformance.AbstractStrategyPluginTest} and supplies small fixtures; the
 * inherited tests check registration, thread safety, closing, errors that name the field at
 * fault, weight round trips and cancellation. Use it in test scope only.
 */
package dev.graft.plugins.conformance;
