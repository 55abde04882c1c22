// Plan turning KV event sync on for a model, offline (GitOps): every change as a JSON patch, and the
// manifests as they will be. Disable puts them back exactly.
var manifests = Manifests.read(java.util.List.of(Path.of("examples/manifests/llama-deployment.yaml"),
        Path.of("examples/manifests/gateway-deployment.yaml")));
var plan = MigrationPlan.enable(manifests, "llama-3-8b", EnableOptions.defaults().withTokenizer("http://tokenizer-service.default:8080"));
plan.steps().forEach(System.out::println);
plan.steps().get(0).patch().forEach(System.out::println);
var back = MigrationPlan.disable(plan.result(), "llama-3-8b", EnableOptions.defaults(), false);
if (!back.result().equals(manifests)) throw new AssertionError("disable did not restore the manifests");
System.out.println("disable restores the manifests exactly");
/exit
