#!/bin/bash
# The seed's /opt/bin/docker-run.sh (CoreOS guide, 2015), kept as the benchmark's baseline and
# otherwise verbatim, except that `sudo` is dropped (the benchmark runs as a user who may talk to
# the engine; sudo would only make the baseline slower). Its flaws are the README's "Why" list.
PARA="${*}"
NAME=$(echo "${PARA}" | grep '\-\-name' | sed 's/.*--name \([^ ]*\).*/\1/g')
if [ "${NAME}" == "" ]; then
  echo "[ERROR] Must specify a name to the container!";
  exit -1;
fi
EXIST=$(docker ps -a | grep "${NAME}[ ]*$")
if [ "${EXIST}" == "" ]; then
   docker run ${PARA}
else
  docker start ${NAME}
fi
