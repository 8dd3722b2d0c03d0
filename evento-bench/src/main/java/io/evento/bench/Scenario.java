package io.evento.bench;

import java.util.List;

/** One benchmark scenario, run on each backend. */
interface Scenario {
    /**
     * The scenario's name on the command line ({@code --scenarios=append1,catchup}).
     *
     * @return the name
     */
    String name();

    /**
     * Runs the scenario on one backend: the library and its raw baseline side by side.
     *
     * @param backend the backend
     * @param mode quick or full
     * @return one result per measured variant
     * @throws Exception if the run fails; the runner reports it and goes on
     */
    List<Result> run(Backend backend, Mode mode) throws Exception;

    /**
     * Every scenario, in the order they are reported.
     *
     * @return the scenarios
     */
    static List<Scenario> all() {
        return List.of(
                new AppendScenario(1),
                new AppendScenario(100),
                new CatchUpScenario(),
                new LoadScenario(),
                new LatencyScenario());
    }
}
