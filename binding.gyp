{
  "targets": [
    {
      "target_name": "timex",
      "sources": [
        "native/timex.c"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "-O2"
      ]
    },
    {
      "target_name": "batchfs",
      "sources": [
        "native/batchfs.c"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "-O2"
      ]
    },
    {
      "target_name": "icmp",
      "sources": [
        "native/icmp.c"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "-O2"
      ]
    }
  ]
}
