import { useEffect, useRef, useState } from 'preact/hooks'
import * as THREE from 'three'
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { html } from '../html.js'
import { outputText } from '../api.js'

/** A job's STL in 3D: drag to orbit, scroll or pinch to zoom, arrow keys to pan. */
export function Viewer ({ jobId, stage }) {
  const box = useRef(null)
  const [error, setError] = useState('')
  useEffect(() => {
    let stopped = false
    let cleanup = () => {}
    outputText(jobId, stage).then(r => r.arrayBuffer()).then(buffer => {
      if (stopped) return
      cleanup = show(box.current, new STLLoader().parse(buffer))
    }).catch(err => setError(err.message))
    return () => { stopped = true; cleanup() }
  }, [jobId, stage])
  return html`<div class="viewer" ref=${box} tabindex="0" aria-label="3D model: drag to orbit, scroll to zoom" data-testid="stl-viewer">${error !== '' ? html`<p class="error">${error}</p>` : null}</div>`
}

function show (element, geometry) {
  const width = element.clientWidth || 600
  const height = 400
  const renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true })
  renderer.setSize(width, height)
  element.append(renderer.domElement)
  const scene = new THREE.Scene()
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.5))
  const light = new THREE.DirectionalLight(0xffffff, 1.5)
  light.position.set(1, 2, 3)
  scene.add(light)
  geometry.computeBoundingSphere()
  geometry.center()
  geometry.rotateX(-Math.PI / 2)
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: 0xe4572e, metalness: 0.1, roughness: 0.6 }))
  scene.add(mesh)
  const radius = geometry.boundingSphere?.radius ?? 50
  const camera = new THREE.PerspectiveCamera(45, width / height, radius / 100, radius * 100)
  camera.position.set(radius * 1.6, radius * 1.4, radius * 2)
  const controls = new OrbitControls(camera, renderer.domElement)
  controls.listenToKeyEvents(element)
  let frame = 0
  const draw = () => { controls.update(); renderer.render(scene, camera); frame = requestAnimationFrame(draw) }
  draw()
  return () => { cancelAnimationFrame(frame); controls.dispose(); renderer.dispose(); renderer.domElement.remove() }
}
