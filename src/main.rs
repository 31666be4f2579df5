fn main() -> std::process::ExitCode {
    cruddur_obs::main()
}
