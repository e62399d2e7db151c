package sandbox

import "github.com/nasops/terraform-provider-truenas/internal/engine"

// defaultEngine runs the engine in-process.
var defaultEngine EngineFunc = engine.Main
