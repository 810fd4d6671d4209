{
  "targets": [
    {
      "target_name": "timex",
      "sources": ["native/timex.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
