Console.WriteLine("PromptCache quickstart: the engine is not built yet.");
