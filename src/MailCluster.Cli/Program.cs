using MailCluster.Cli;

return await Mailctl.RunAsync(args, Console.Out, Console.Error);
